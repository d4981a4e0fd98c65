/**
 * Health probes, one per kind of component. `up` means the process answers on its port;
 * `healthy` means it does its job (a replica is in sync, a Sentinel sees its peers, a service
 * is /ready). The broker probe logs in over AMQP: an open port alone says nothing while
 * RabbitMQ boots.
 */
import { connect as amqpConnect } from 'amqplib';
import { get } from 'node:http';
import { pairs, redisCall, redisInfo } from './redis-probe.js';
import { SERVICES, type ComponentSpec } from './state.js';

export interface Health {
  up: boolean;
  healthy: boolean;
  detail: string;
}

const down = (detail: string): Health => ({ up: false, healthy: false, detail });

export function httpStatus(port: number, path: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once('timeout', () => request.destroy(new Error(`GET ${path} timed out`)));
    request.once('error', reject);
  });
}

/**
 * A master is healthy with at least `minReplicas` replicas in sync (`up` waits for all of them,
 * `status` accepts one, which is what min-replicas-to-write needs).
 */
async function redisHealth(port: number, minReplicas: number): Promise<Health> {
  const info = await redisInfo(port, 'replication');
  const role = info.get('role');
  if (role === 'master') {
    const replicas = Number(info.get('connected_slaves') ?? 0);
    return { up: true, healthy: replicas >= minReplicas, detail: `master, ${replicas} replicas` };
  }
  const link = info.get('master_link_status');
  return {
    up: true,
    healthy: link === 'up',
    detail: `replica of ${info.get('master_port') ?? '?'}, link ${link ?? '?'}`,
  };
}

/** A Sentinel is healthy when it sees every master up, its replicas and the other Sentinels. */
async function sentinelHealth(port: number, replicas: number, sentinels: number): Promise<Health> {
  const problems: string[] = [];
  for (const name of SERVICES) {
    const master = pairs(await redisCall(port, ['SENTINEL', 'MASTER', name]));
    const flags = master.get('flags') ?? '?';
    const slaves = Number(master.get('num-slaves') ?? 0);
    const others = Number(master.get('num-other-sentinels') ?? 0);
    if (flags !== 'master' || slaves < replicas || others < sentinels - 1) {
      problems.push(`${name}: ${flags}, ${slaves} replicas, ${others} other sentinels`);
    }
  }
  return { up: true, healthy: problems.length === 0, detail: problems.join('; ') || 'sees all masters' };
}

let amqpCredentials = { username: 'guest', password: 'guest' };

/** The broker user the probe logs in as (secrets.ts sets the cluster's). */
export function useAmqpCredentials(credentials: { username: string; password: string }): void {
  amqpCredentials = credentials;
}

async function amqpHealth(port: number): Promise<Health> {
  const { username, password } = amqpCredentials;
  const connection = await amqpConnect(`amqp://${username}:${password}@127.0.0.1:${port}`, { timeout: 2000 });
  await connection.close();
  return { up: true, healthy: true, detail: 'accepts AMQP' };
}

async function serviceHealth(port: number): Promise<Health> {
  const alive = await httpStatus(port, '/health');
  if (alive !== 200) return { up: false, healthy: false, detail: `/health ${alive}` };
  const ready = await httpStatus(port, '/ready');
  return { up: true, healthy: ready === 200, detail: `/ready ${ready}` };
}

async function nginxHealth(port: number): Promise<Health> {
  const status = await httpStatus(port, '/health');
  return { up: status === 200, healthy: status === 200, detail: `/health ${status}` };
}

export interface ProbeOptions {
  /** Replicas a Redis master (and each Sentinel) must see; defaults to 1. */
  replicas?: number;
  sentinels?: number;
}

export async function probe(
  spec: Pick<ComponentSpec, 'kind' | 'port'>,
  opts: ProbeOptions = {},
): Promise<Health> {
  try {
    switch (spec.kind) {
      case 'redis':
        return await redisHealth(spec.port, opts.replicas ?? 1);
      case 'sentinel':
        return await sentinelHealth(spec.port, opts.replicas ?? 1, opts.sentinels ?? 3);
      case 'rabbitmq':
        return await amqpHealth(spec.port);
      case 'service':
        return await serviceHealth(spec.port);
      case 'nginx':
        return await nginxHealth(spec.port);
    }
  } catch (error) {
    return down(error instanceof Error ? error.message : String(error));
  }
}
