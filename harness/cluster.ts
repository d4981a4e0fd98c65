/**
 * The chaos suite's handle on a local cluster (`npm run cluster`, src/cluster/): started in
 * its own directory on free ports, or an existing one adopted by directory. Everything goes
 * through the cluster's CLI (dist/cluster/cli.js) and its state.json, as an operator would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { probe } from '../src/cluster/health.js';
import { redisCall, sentinelMasterPort } from '../src/cluster/redis-probe.js';
import { orderKeys } from '../src/services/order/keys.js';
import { isAlive } from '../src/cluster/processes.js';
import { useClusterSecrets } from '../src/cluster/secrets.js';
import { waitFor } from '../src/lib/retry.js';
import { readPlan, readState, type ClusterState, type ComponentState } from '../src/cluster/state.js';
import { redisLeaseProbe, type UnfinishedProbe } from './checker.js';
import type { Replica } from './takeovers.js';

const run = promisify(execFile);
/** The cluster CLI of the checkout at `root` (built): this one by default. */
const cliOf = (root = '.'): string => resolve(root, 'dist/cluster/cli.js');

export interface Cluster {
  dir: string;
  url: string;
  cli(args: string[], timeoutMs?: number): Promise<string>;
  /** `cluster kill NAME`: SIGKILL, and the supervisor restarts it. */
  kill(name: string): Promise<void>;
  state(): ClusterState;
  component(name: string): ComponentState;
  /** Waits until every component is alive and healthy; answers the names still not, if any. */
  waitHealthy(timeoutMs: number): Promise<string[]>;
  unfinished: UnfinishedProbe;
  /** True when some unfinished saga is owned by `instance` (read from the order store). */
  ownsRunningSaga(instance: string): Promise<boolean>;
  /** The order replicas and their own ports (their /metrics, which the gateway refuses). */
  orderReplicas(): Replica[];
  /** A service's Redis processes as Sentinel names them now: its master and the others. */
  redisGroup(service: string): Promise<{ master: ComponentState; replicas: ComponentState[] }>;
}

export function clusterAt(dir: string, env: Record<string, string> = {}, root?: string): Cluster {
  const cliPath = cliOf(root);
  // Redis and the broker require a login: probe as the cluster's operator.
  useClusterSecrets(dir);
  const cli = async (args: string[], timeoutMs = 60_000): Promise<string> =>
    (
      await run(process.execPath, [cliPath, ...args, '--dir', dir], {
        env: { ...process.env, ...env },
        timeout: timeoutMs,
      })
    ).stdout;
  const state = (): ClusterState => {
    const current = readState(dir);
    if (current === undefined) throw new Error(`no cluster state in ${dir}`);
    return current;
  };
  const component = (name: string): ComponentState => {
    const found = state().components.find((c) => c.name === name);
    if (found === undefined) throw new Error(`no component ${name} in ${dir}`);
    return found;
  };
  return {
    dir,
    get url() {
      return `http://127.0.0.1:${state().gatewayPort}`;
    },
    cli,
    kill: async (name) => void (await cli(['kill', name])),
    state,
    component,
    async waitHealthy(timeoutMs) {
      let sick: string[] = [];
      const allHealthy = async (): Promise<boolean> => {
        const results = await Promise.all(
          state().components.map(async (c) => ({ c, ok: isAlive(c.pid) && (await probe(c)).healthy })),
        );
        sick = results.filter((r) => !r.ok).map((r) => r.c.name);
        return sick.length === 0;
      };
      await waitFor(allHealthy, timeoutMs, 500);
      return sick;
    },
    unfinished: redisLeaseProbe({ sentinelPorts: readPlan(dir).sentinelPorts }),
    async ownsRunningSaga(instance) {
      const port = await sentinelMasterPort(readPlan(dir).sentinelPorts, 'order');
      if (port === undefined) return false;
      const keys = orderKeys('order:');
      const ids = await redisCall(port, ['ZRANGE', keys.leases(), '0', '199']);
      if (!Array.isArray(ids)) return false;
      for (const id of ids) {
        if (typeof id !== 'string') continue;
        if ((await redisCall(port, ['HGET', keys.saga(id), 'owner'])) === instance) return true;
      }
      return false;
    },
    async redisGroup(service) {
      const masterPort = await sentinelMasterPort(readPlan(dir).sentinelPorts, service);
      const group = state().components.filter(
        (c) => c.kind === 'redis' && c.name.startsWith(`${service}-redis-`),
      );
      const master = group.find((c) => c.port === masterPort);
      if (master === undefined) throw new Error(`no Sentinel names a live master of ${service}`);
      return { master, replicas: group.filter((c) => c !== master) };
    },
    orderReplicas() {
      return state()
        .components.filter((c) => /^order-\d+$/.test(c.name))
        .map((c) => ({ name: c.name, port: c.port }));
    },
  };
}

export interface ClusterOptions {
  /** Environment of the CLI, and through the supervisor of every process it starts. */
  env?: Record<string, string>;
  /** Environment of the service processes only (`up --env K=V`), e.g. NODE_OPTIONS. */
  serviceEnv?: Record<string, string>;
  /** `up --lean`: one process per service, one Sentinel, a master with one replica. */
  lean?: boolean;
  /** `up --all-active`: both replicas of each service take work (default: one stands by). */
  allActive?: boolean;
  /** A built checkout whose dist/ runs the cluster (bench:ab's `--x-root`); default this one. */
  root?: string;
}

/** Clusters whose directory startCluster made: stopCluster removes it. */
const temporary = new WeakSet<Cluster>();

/**
 * `cluster up` in `dir` (empty or an earlier cluster's; a fresh temp dir when omitted), gateway
 * on a free port. A failed `up` is taken down again before the error is thrown.
 */
export async function startCluster(dir?: string, options: ClusterOptions = {}): Promise<Cluster> {
  const where = dir ?? mkdtempSync(join(tmpdir(), 'checkout-cluster-'));
  const env = options.env ?? {};
  const serviceArgs = Object.entries(options.serviceEnv ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const cliEnv = { ...process.env, GATEWAY_PORT: '0', ...env };
  const cli = cliOf(options.root);
  try {
    const flags = [
      ...(options.lean === true ? ['--lean'] : []),
      ...(options.allActive === true ? ['--all-active'] : []),
    ];
    await run(process.execPath, [cli, 'up', '--dir', where, ...flags, ...serviceArgs], {
      env: cliEnv,
      timeout: 300_000,
    });
  } catch (error) {
    await run(process.execPath, [cli, 'down', '--dir', where], { env: cliEnv, timeout: 180_000 }).catch(
      () => undefined,
    );
    if (dir === undefined) rmSync(where, { recursive: true, force: true });
    throw error;
  }
  const cluster = clusterAt(where, env, options.root);
  if (dir === undefined) temporary.add(cluster);
  return cluster;
}

/** `cluster down` (every process by its PID), and the directory if startCluster made it. */
export async function stopCluster(cluster: Cluster): Promise<void> {
  await cluster.cli(['down'], 180_000);
  if (temporary.has(cluster)) rmSync(cluster.dir, { recursive: true, force: true });
}
