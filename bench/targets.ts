/**
 * What the benchmark drives, started here and stopped here by PID: the system under test and
 * its ceiling (a no-op Fastify handler behind the same front door).
 *
 * embedded: `node dist/single-process.js` (what `npm start` runs) on a fresh DATA_DIR, and the no-op
 *   server as a second process on its own port.
 * cluster: `npm run cluster -- up` in a fresh directory (its CLI and state.json), and for the
 *   ceiling two no-op servers behind a second nginx whose config is the same template,
 *   rendered by the cluster's own renderer with the no-op servers as every upstream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCluster, stopCluster } from '../harness/cluster.js';
import { spawnReady, startEmbedded, stopChild } from '../harness/launch.js';
import { NGINX } from '../src/cluster/components.js';
import { gatewayConf } from '../src/cluster/nginx-conf.js';
import { freePorts } from '../src/cluster/ports.js';
import type { ClusterState } from '../src/cluster/state.js';
import { waitFor } from '../src/lib/retry.js';

export const TARGETS = ['embedded', 'cluster', 'cluster-lean', 'cluster-all-active'] as const;
/**
 * `cluster-lean` is `npm run cluster -- up --lean` and `cluster-all-active` is `up --all-active`,
 * reported beside the HA cluster, never instead.
 */
export type TargetName = (typeof TARGETS)[number];

export interface Endpoint {
  host: string;
  port: number;
}

export interface Running {
  name: TargetName;
  system: Endpoint;
  ceiling: Endpoint;
  /** Every process of the system, by name, read afresh (a supervisor may have restarted one). */
  systemPids(): Record<string, number>;
  ceilingPids: Record<string, number>;
  /** The processes that hold service data, for the memory check. */
  servicePids(): Record<string, number>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Directory for node --cpu-prof output of the service processes; none when undefined. */
  profileDir: string | undefined;
  /** Extra environment of every service process (`--env K=V`), e.g. AMQP_BATCHES_IN_FLIGHT. */
  serviceEnv: Record<string, string>;
}

const HOST = '127.0.0.1';
const NOOP = resolve('bench/noop-server.ts');

/**
 * `--cpu-prof` is refused in NODE_OPTIONS, which is how flags reach the cluster's services:
 * there a preloaded module profiles through the inspector instead and writes the profile on
 * exit, named like --cpu-prof's (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile).
 */
const PROFILER = `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 250 });
session.post('Profiler.start');
process.on('exit', () => {
  // A session on its own thread answers synchronously, so this completes before exit.
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(DIR + '/CPU.0.0.' + process.pid + '.0.001.cpuprofile', JSON.stringify(result.profile));
  });
});
`;

function profilerPreload(dir: string): string {
  const file = join(dir, 'profiler.mjs');
  writeFileSync(file, PROFILER.replace('DIR', JSON.stringify(dir)));
  return file;
}

function profileFlags(dir: string | undefined): string[] {
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'];
}

function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('child has no pid');
  return child.pid;
}

async function startEmbeddedTarget(opts: StartOptions): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-embedded-'));
  const ceiling = await spawnReady(process.execPath, ['--import', 'tsx', NOOP, '0'], {});
  const system = await startEmbedded(dataDir, opts.serviceEnv, profileFlags(opts.profileDir)).catch(
    async (error: unknown) => {
      await stopChild(ceiling.child);
      throw error;
    },
  );
  const pids = { embedded: pidOf(system.child) };
  return {
    name: 'embedded',
    system: { host: HOST, port: system.port },
    ceiling: { host: HOST, port: ceiling.port },
    systemPids: () => pids,
    ceilingPids: { noop: pidOf(ceiling.child) },
    servicePids: () => pids,
    async stop() {
      await Promise.all([stopChild(system.child), stopChild(ceiling.child)]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Two no-op servers (as many as replicas of a service) behind nginx on the gateway template. */
async function startCeilingGateway(dir: string): Promise<{ port: number; children: ChildProcess[] }> {
  const noops = await Promise.all(
    [0, 1].map(() => spawnReady(process.execPath, ['--import', 'tsx', NOOP, '0'], {})),
  );
  const ports = noops.map((n) => n.port);
  const [listenPort = 0] = await freePorts(1);
  const home = join(dir, 'ceiling-nginx');
  const tempDir = join(home, 'temp');
  mkdirSync(tempDir, { recursive: true });
  const conf = join(home, 'nginx.conf');
  const errorLog = join(home, 'error.log');
  writeFileSync(
    conf,
    gatewayConf({
      listenPort,
      workers: '1',
      pidFile: join(home, 'nginx.pid'),
      errorLog,
      tempDir,
      upstreams: { order: ports, stock: ports, payment: ports },
    }),
  );
  const nginx = spawn(NGINX, ['-p', home, '-c', conf, '-e', errorLog], { stdio: 'ignore' });
  const children = [...noops.map((n) => n.child), nginx];
  const healthy = (): Promise<boolean> =>
    fetch(`http://${HOST}:${listenPort}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
  if (
    !(await waitFor(async () => nginx.exitCode !== null || (await healthy()), 10_000)) ||
    nginx.exitCode !== null
  ) {
    await Promise.all(children.map((c) => stopChild(c)));
    throw new Error(`ceiling nginx did not start; see ${errorLog}`);
  }
  return { port: listenPort, children };
}

async function startClusterTarget(
  opts: StartOptions,
  name: Exclude<TargetName, 'embedded'>,
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  const serviceEnv = { ...opts.serviceEnv };
  if (opts.profileDir !== undefined)
    serviceEnv['NODE_OPTIONS'] = `--import ${profilerPreload(opts.profileDir)}`;
  const cluster = await startCluster(join(dir, 'cluster'), {
    env: { LOG_LEVEL: 'warn' },
    serviceEnv,
    lean: name === 'cluster-lean',
    allActive: name === 'cluster-all-active',
  });
  const down = (): Promise<void> => stopCluster(cluster);
  const state = (): ClusterState => cluster.state();
  const ceiling = await startCeilingGateway(dir).catch(async (error: unknown) => {
    await down();
    throw error;
  });
  const [noopA, noopB, nginx] = ceiling.children.map(pidOf);
  const byName = (filter: (kind: string) => boolean): Record<string, number> =>
    Object.fromEntries(
      state()
        .components.filter((c) => filter(c.kind) && c.pid > 0)
        .map((c) => [c.name, c.pid]),
    );
  return {
    name,
    system: { host: HOST, port: state().gatewayPort },
    ceiling: { host: HOST, port: ceiling.port },
    systemPids: () => ({ ...byName(() => true), supervisor: state().supervisorPid }),
    ceilingPids: { 'noop-1': noopA ?? 0, 'noop-2': noopB ?? 0, nginx: nginx ?? 0 },
    servicePids: () => byName((kind) => kind === 'service'),
    async stop() {
      await Promise.all(ceiling.children.map((c) => stopChild(c)));
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function startTarget(name: TargetName, opts: StartOptions): Promise<Running> {
  return name === 'embedded' ? startEmbeddedTarget(opts) : startClusterTarget(opts, name);
}
