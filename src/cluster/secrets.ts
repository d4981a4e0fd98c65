/**
 * The cluster's credentials, generated afresh by every `up` into `<dir>/secrets.json` (mode
 * 0600, never committed: `.cluster/` is gitignored). Every Redis and Sentinel refuses the
 * `default` user; each service logs in as its own Redis user, the replicas as `replica`,
 * Sentinel as `sentinel`, and operator tools (the supervisor's probes, `status`, the chaos
 * checker) as `admin`. RabbitMQ has one user instead of `guest`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useAmqpCredentials } from './health.js';
import { useRedisAuth } from './redis-probe.js';
import { SERVICES, type ServiceName } from './state.js';

export interface ClusterSecrets {
  /** The operator's user `admin`, the same on every Redis and Sentinel. */
  admin: string;
  /** Redis users: one per service (on its own group only), replication, and Sentinel's. */
  redis: Record<ServiceName | 'replica' | 'sentinel', string>;
  /** Sentinel users: the other Sentinels, and the services asking for the master. */
  sentinel: Record<'peer' | 'client', string>;
  rabbitmq: { username: string; password: string };
}

/** 32 random bytes, URL- and config-safe (base64url), so no value needs quoting anywhere. */
const secret = (): string => randomBytes(32).toString('base64url');

export function generateSecrets(): ClusterSecrets {
  const services = Object.fromEntries(SERVICES.map((s) => [s, secret()])) as Record<ServiceName, string>;
  return {
    admin: secret(),
    redis: { ...services, replica: secret(), sentinel: secret() },
    sentinel: { peer: secret(), client: secret() },
    rabbitmq: { username: 'checkout', password: secret() },
  };
}

export const secretsFile = (dir: string): string => join(dir, 'secrets.json');

export function writeSecrets(dir: string, secrets: ClusterSecrets): void {
  const file = secretsFile(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export function readSecrets(dir: string): ClusterSecrets {
  const file = secretsFile(dir);
  if (!existsSync(file)) throw new Error(`no ${file}: the cluster was not started by this version`);
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterSecrets;
}

export const amqpUrl = (secrets: ClusterSecrets, port: number): string =>
  `amqp://${secrets.rabbitmq.username}:${secrets.rabbitmq.password}@127.0.0.1:${port}`;

/**
 * Makes this process's probes (redis-probe.ts, health.ts) log in to the cluster in `dir` as its
 * operator: `admin` on every Redis and Sentinel, the broker's user on RabbitMQ.
 */
export function useClusterSecrets(dir: string): ClusterSecrets {
  const secrets = readSecrets(dir);
  useRedisAuth({ username: 'admin', password: secrets.admin });
  useAmqpCredentials(secrets.rabbitmq);
  return secrets;
}
