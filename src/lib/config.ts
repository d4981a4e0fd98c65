/**
 * The only file that reads `process.env` (STYLE.md §11). Every variable is validated here,
 * documented with its default, and listed in the README.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export interface SagaTiming {
  /** How long an owner's claim on a saga lasts without renewal; after it, any replica takes over. */
  leaseMs: number;
  /** How long one attempt of a participant command waits for its reply before it is re-sent. */
  attemptMs: number;
  /** From the start of a saga until it aborts if a participant has not answered. */
  deadlineMs: number;
  /** How often each order replica looks for sagas whose lease expired. */
  sweepMs: number;
  /** Longest pause between re-sends of a compensation that is not acknowledged yet. */
  retryMaxMs: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  instanceId: string;
  redis: {
    url: string;
    /** `host:port` list; when set, the service finds its master through Sentinel. */
    sentinels: { host: string; port: number }[];
    /** Sentinel master name; defaults to the service name. */
    masterName: string | undefined;
    prefix: string | undefined;
    /** Replicas a mutation must reach (Redis WAIT) before it is acknowledged; 0 turns WAIT off. */
    waitReplicas: number;
    waitTimeoutMs: number;
  };
  amqpUrl: string;
  /** A command older than this is dropped unapplied; far shorter than recordTtlMs (ARCHITECTURE §3.5). */
  commandTtlMs: number;
  /** How long participants remember a saga's result or tombstone. */
  recordTtlMs: number;
  saga: SagaTiming;
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function str(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

function parseSentinels(raw: string): { host: string; port: number }[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((entry) => {
    const [host, port] = entry.trim().split(':');
    const portNumber = Number(port);
    if (!host || !Number.isInteger(portNumber) || portNumber <= 0) {
      throw new Error(`REDIS_SENTINELS entries must be host:port, got ${JSON.stringify(entry)}`);
    }
    return { host, port: portNumber };
  });
}

export function loadConfig(env: Env = process.env): Config {
  const commandTtlMs = int(env, 'COMMAND_TTL_MS', 30_000, 1);
  const recordTtlMs = int(env, 'RECORD_TTL_MS', 24 * 3600_000, 1);
  if (recordTtlMs < 10 * commandTtlMs) {
    throw new Error(
      'RECORD_TTL_MS must be at least 10 x COMMAND_TTL_MS so no stale command outlives its record',
    );
  }
  return {
    port: int(env, 'PORT', 8000),
    host: str(env, 'HOST', '127.0.0.1'),
    dataDir: str(env, 'DATA_DIR', './data'),
    logLevel: str(env, 'LOG_LEVEL', 'info'),
    instanceId: str(env, 'INSTANCE_ID', `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`),
    redis: {
      url: str(env, 'REDIS_URL', 'redis://127.0.0.1:6379'),
      sentinels: parseSentinels(str(env, 'REDIS_SENTINELS', '')),
      masterName: env['REDIS_MASTER_NAME'] || undefined,
      prefix: env['REDIS_PREFIX'] || undefined,
      waitReplicas: int(env, 'REDIS_WAIT_REPLICAS', 0),
      waitTimeoutMs: int(env, 'REDIS_WAIT_TIMEOUT_MS', 1000, 1),
    },
    amqpUrl: str(env, 'AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672'),
    commandTtlMs,
    recordTtlMs,
    saga: {
      leaseMs: int(env, 'SAGA_LEASE_MS', 2000, 10),
      attemptMs: int(env, 'SAGA_ATTEMPT_MS', 1000, 1),
      deadlineMs: int(env, 'SAGA_DEADLINE_MS', 10_000, 1),
      sweepMs: int(env, 'SAGA_SWEEP_MS', 500, 1),
      retryMaxMs: int(env, 'SAGA_RETRY_MAX_MS', 1000, 1),
    },
  };
}
