/** `up`: prepare the directory and plan, start the detached supervisor, wait for ready. */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../lib/config.js';
import type { Progress } from '../lib/progress.js';
import { HA, HA_ALL_ACTIVE, LEAN, prepareCluster, serviceEntry } from './components.js';
import { down } from './down.js';
import type { CliOptions } from './options.js';
import { ensurePackages } from './packages.js';
import { portIsFree } from './ports.js';
import { isAlive } from './processes.js';
import { SERVICES, planFile, readState, stateFile, writePlan, type ClusterState } from './state.js';

const SUPERVISOR = fileURLToPath(new URL('./supervisor.js', import.meta.url));

/** Refuses to run over a live cluster, and to wipe a directory that is not a cluster's. */
function claimDirectory(dir: string): void {
  const previous = readState(dir);
  if (previous !== undefined) {
    if (isAlive(previous.supervisorPid)) {
      throw new Error(
        `a cluster already runs in ${dir} (supervisor ${previous.supervisorPid}); run down first`,
      );
    }
    const alive = previous.components.filter((c) => isAlive(c.pid)).map((c) => `${c.name} (${c.pid})`);
    if (alive.length > 0)
      throw new Error(`processes of an earlier cluster still run: ${alive.join(', ')}; run down`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(planFile(dir)) && !existsSync(stateFile(dir))) {
      throw new Error(`${dir} is not empty and holds no cluster: refusing to wipe it`);
    }
    // Each `up` starts from empty data; restarts by the supervisor keep theirs.
    for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
}

export async function up(opts: CliOptions, cfg: ClusterConfig, progress: Progress): Promise<ClusterState> {
  progress.step(`preparing ${opts.dir}`);
  claimDirectory(opts.dir);
  ensurePackages(cfg.path);
  if (cfg.gatewayPort !== 0 && !(await portIsFree(cfg.gatewayPort))) {
    throw new Error(`gateway port ${cfg.gatewayPort} is in use (set GATEWAY_PORT, 0 picks a free one)`);
  }
  if (opts.groups.has('services')) {
    const missing = SERVICES.map(serviceEntry).filter((entry) => !existsSync(entry));
    if (missing.length > 0)
      throw new Error(`missing ${missing.join(', ')}: run npm run build, or use --only infra`);
  }
  const plan = await prepareCluster({
    cfg,
    dir: opts.dir,
    groups: opts.groups,
    serviceEnv: opts.serviceEnv,
    topology: opts.lean ? LEAN : opts.allActive ? HA_ALL_ACTIVE : HA,
  });
  writePlan(plan);
  progress.step(`starting ${plan.components.length} components`);

  const out = openSync(join(opts.dir, 'supervisor.log'), 'a');
  const supervisor = spawn(process.execPath, [SUPERVISOR, opts.dir], {
    cwd: opts.dir,
    env: { PATH: cfg.path },
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  supervisor.unref();
  const pid = supervisor.pid ?? 0;

  try {
    return await waitReady(opts.dir, pid, cfg.readyTimeoutMs + 10_000, progress);
  } catch (error) {
    progress.status('failed; stopping what started');
    // Leave nothing half-started behind.
    await down(opts.dir);
    throw error;
  } finally {
    progress.done();
  }
}

/** The last lines of the logs of the components a failure names, so the cause is on screen. */
function logTails(state: ClusterState): string {
  const named = state.components.filter((c) => state.error?.includes(c.name) && existsSync(c.log));
  return named
    .slice(0, 4)
    .map((c) => {
      const lines = readFileSync(c.log, 'utf8').trimEnd().split('\n').slice(-5);
      return `\n--- ${c.log}\n${lines.join('\n')}`;
    })
    .join('');
}

async function waitReady(
  dir: string,
  pid: number,
  timeoutMs: number,
  progress: Progress,
): Promise<ClusterState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = readState(dir);
    if (state?.supervisorPid === pid) {
      if (state.phase === 'ready') return state;
      const started = state.components.filter((c) => c.pid !== 0).length;
      const waiting = state.waiting === undefined ? '' : `, ${state.waiting}`;
      progress.status(`${started}/${state.components.length} started${waiting}`);
      if (state.phase === 'failed')
        throw new Error(`cluster failed to start: ${state.error ?? '?'}${logTails(state)}`);
    }
    if (!isAlive(pid)) throw new Error(`the supervisor exited; see ${join(dir, 'supervisor.log')}`);
    if (Date.now() > deadline) throw new Error('timed out waiting for the cluster to be ready');
    await sleep(200);
  }
}
