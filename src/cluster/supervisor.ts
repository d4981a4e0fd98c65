/**
 * The long-running, detached owner of every cluster process (started by `cli.ts up`, argv[2] is
 * the cluster directory). Like an orchestrator it starts components in dependency order,
 * restarts any that exits (jittered backoff 0.5 s doubling to 5 s), and publishes PIDs to state.json.
 * Every child is its own process-group leader, so a component's helpers (nginx workers, the
 * Erlang VM under RabbitMQ's launcher script) die with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLog } from '../lib/log.js';
import { backoff, waitFor } from '../lib/retry.js';
import { probe, type ProbeOptions } from './health.js';
import { groupMembers, signalGroup, signalPid } from './processes.js';
import { readyForRestart } from './rabbitmq-node.js';
import { sentinelMasterPort } from './redis-probe.js';
import { useClusterSecrets } from './secrets.js';
import { readPlan, writeState, type ClusterState, type ComponentSpec, type Phase } from './state.js';

const RESTART_BACKOFF = { baseMs: 500, maxMs: 5000 };
/** A child that ran this long before dying starts again from the shortest backoff. */
const STABLE_MS = 30_000;
const STOP_GRACE_MS: Record<ComponentSpec['kind'], number> = {
  rabbitmq: 20_000,
  service: 10_000,
  redis: 10_000,
  sentinel: 5000,
  nginx: 5000,
};
const STAGES = [0, 1, 2, 3] as const;
/** While starting, a component that exited this often fails `up` instead of waiting it out. */
const START_RESTART_LIMIT = 4;

interface Child {
  spec: ComponentSpec;
  process: ChildProcess | undefined;
  pid: number;
  restarts: number;
  /** Exits in a row, each soon after its start: the restart backoff grows with them. */
  quickExits: number;
  startedAt: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** Resolves when the current process has exited (already resolved while none runs). */
  exited: Promise<void>;
}

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: supervisor.js <cluster dir>');
const plan = readPlan(dir);
/** `up` waits for the full topology: every master with all its replicas, Sentinels seeing all. */
const STRICT: ProbeOptions = {
  replicas: plan.components.filter((c) => c.kind === 'redis' && c.service === 'order').length - 1,
  sentinels: plan.sentinelPorts.length,
};
useClusterSecrets(dir);
const log = createLog('info', 'cluster-supervisor');
const children: Child[] = plan.components.map((spec) => ({
  spec,
  process: undefined,
  pid: 0,
  restarts: 0,
  quickExits: 0,
  startedAt: 0,
  restartTimer: undefined,
  exited: Promise.resolve(),
}));
let phase: Phase = 'starting';
let failure: string | undefined;
let waiting: string | undefined;
let stopping = false;

function publish(): void {
  const state: ClusterState = {
    supervisorPid: process.pid,
    gatewayPort: plan.gatewayPort,
    phase,
    ...(failure === undefined ? {} : { error: failure }),
    ...(waiting === undefined || phase !== 'starting' ? {} : { waiting }),
    components: children.map((c) => ({
      name: c.spec.name,
      kind: c.spec.kind,
      pid: c.pid,
      port: c.spec.port,
      log: c.spec.log,
      restarts: c.restarts,
    })),
  };
  writeState(plan.dir, state);
}

function spawnChild(child: Child): void {
  const { spec } = child;
  const out = openSync(spec.log, 'a');
  let settle: () => void = () => undefined;
  child.exited = new Promise((resolve) => (settle = resolve));
  const proc = spawn(spec.command, spec.args, {
    cwd: spec.dir,
    env: spec.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.process = proc;
  child.pid = proc.pid ?? 0;
  child.startedAt = Date.now();
  log.info({ component: spec.name, childPid: child.pid, restarts: child.restarts }, 'started');
  let handled = false;
  const onGone = (code: number | null, signal: string | null): void => {
    if (handled) return;
    handled = true;
    onExit(child, proc, code, signal);
    settle();
  };
  proc.once('exit', onGone);
  proc.once('error', (error) => {
    log.error({ component: spec.name, err: error.message }, 'spawn failed');
    if (proc.pid === undefined) onGone(null, null);
  });
  publish();
}

function onExit(child: Child, proc: ChildProcess, code: number | null, signal: string | null): void {
  // Whatever the leader left behind in its group (nginx workers, the Erlang VM) goes too.
  if (proc.pid !== undefined) signalGroup(proc.pid, 'SIGKILL');
  child.process = undefined;
  child.pid = 0;
  publish();
  if (stopping) return;
  if (Date.now() - child.startedAt > STABLE_MS) child.quickExits = 0;
  const delay = backoff(child.quickExits++, RESTART_BACKOFF);
  log.warn({ component: child.spec.name, code, signal, restartInMs: delay }, 'exited');
  child.restartTimer = setTimeout(() => void restart(child), delay);
}

/**
 * A dead Redis that Sentinel still names as master is held back until Sentinel has promoted a
 * replica: restarted at once, it would be back before down-after-milliseconds and the
 * failover path (the one a lost machine takes) would never run. Started later with its own
 * config, it comes up as a master of an old epoch and Sentinel turns it into a replica.
 */
async function holdRedisMaster(spec: ComponentSpec): Promise<void> {
  if (spec.service === undefined) return;
  const service = spec.service;
  const limitMs = plan.sentinelDownAfterMs + 3 * plan.sentinelFailoverTimeoutMs;
  const moved = await waitFor(
    async () => stopping || (await sentinelMasterPort(plan.sentinelPorts, service)) !== spec.port,
    limitMs,
    250,
  );
  if (!moved) log.warn({ component: spec.name, limitMs }, 'Sentinel did not fail over; restarting anyway');
}

async function restart(child: Child): Promise<void> {
  child.restartTimer = undefined;
  if (stopping) return;
  try {
    if (child.spec.kind === 'rabbitmq') await readyForRestart(child.spec.dir, child.spec.port);
    if (child.spec.kind === 'redis') await holdRedisMaster(child.spec);
  } catch (error) {
    log.error({ component: child.spec.name, err: error }, 'restart preparation failed');
  }
  if (stopping) return;
  child.restarts += 1;
  spawnChild(child);
}

async function unhealthy(list: Child[], opts: ProbeOptions, need: 'up' | 'healthy'): Promise<string[]> {
  const results = await Promise.all(list.map(async (c) => ({ c, health: await probe(c.spec, opts) })));
  return results.filter((r) => !r.health[need]).map((r) => `${r.c.spec.name} (${r.health.detail})`);
}

async function waitUntil(
  list: Child[],
  opts: ProbeOptions,
  need: 'up' | 'healthy',
  deadline: number,
): Promise<void> {
  let missing: string[] = [];
  while (!stopping) {
    missing = await unhealthy(list, opts, need);
    if (missing.length === 0) return;
    const now = `waiting for ${missing.map((m) => m.split(' ')[0]).join(', ')} to be ${need}`;
    if (now !== waiting) {
      waiting = now;
      publish();
    }
    // A component that keeps dying will not get healthy by waiting: say so now, with its log.
    const looping = list.find((c) => c.restarts >= START_RESTART_LIMIT);
    if (looping)
      throw new Error(`${looping.spec.name} exited ${looping.restarts} times; see ${looping.spec.log}`);
    if (Date.now() >= deadline) throw new Error(`not ${need} in time: ${missing.join(', ')}`);
    await sleep(200);
  }
}

/** Stage 0: Redis masters and RabbitMQ; 1: replicas; 2: Sentinels; 3: services and nginx. */
async function startAll(): Promise<void> {
  const started = Date.now();
  const deadline = started + plan.readyTimeoutMs;
  const inStages = (stages: number[]): Child[] => children.filter((c) => stages.includes(c.spec.stage));
  for (const stage of STAGES) {
    if (stage === 1)
      await waitUntil(
        inStages([0]).filter((c) => c.spec.kind === 'redis'),
        STRICT,
        'up',
        deadline,
      );
    // Sentinels learn a master's replicas from its INFO, so they start after replication runs.
    if (stage === 2)
      await waitUntil(
        inStages([0, 1]).filter((c) => c.spec.kind === 'redis'),
        STRICT,
        'healthy',
        deadline,
      );
    if (stage === 3) await waitUntil(inStages([0, 1, 2]), STRICT, 'healthy', deadline);
    if (stopping) return;
    for (const child of inStages([stage])) spawnChild(child);
  }
  await waitUntil(children, STRICT, 'healthy', deadline);
  if (stopping) return;
  phase = 'ready';
  publish();
  log.info({ ms: Date.now() - started, gatewayPort: plan.gatewayPort }, 'ready');
}

async function stopChild(child: Child): Promise<void> {
  const { process: proc, pid } = child;
  if (proc === undefined || pid === 0) return;
  // The RabbitMQ launcher traps SIGTERM and stops the node cleanly; the others handle it directly.
  signalPid(pid, 'SIGTERM');
  const exited = await Promise.race([
    child.exited.then(() => true),
    sleep(STOP_GRACE_MS[child.spec.kind]).then(() => false),
  ]);
  if (!exited) {
    log.warn({ component: child.spec.name, childPid: pid }, 'did not stop in time; SIGKILL');
    signalGroup(pid, 'SIGKILL');
    await Promise.race([child.exited, sleep(5000)]);
  }
  signalGroup(pid, 'SIGKILL');
  await waitFor(() => groupMembers(pid).length === 0, 5000);
}

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  phase = 'stopping';
  publish();
  for (const child of children) if (child.restartTimer) clearTimeout(child.restartTimer);
  // Reverse order: the gateway and services first, Sentinels before Redis so no failover starts.
  for (const stage of [...STAGES].reverse()) {
    await Promise.all(children.filter((c) => c.spec.stage === stage).map(stopChild));
  }
  phase = 'stopped';
  publish();
  log.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGHUP', () => undefined);

publish();
startAll().catch((error: unknown) => {
  failure = error instanceof Error ? error.message : String(error);
  phase = 'failed';
  publish();
  log.error({ err: failure }, 'start failed');
});
