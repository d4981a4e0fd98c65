/**
 * `npm run cluster -- up | down | status | kill NAME | restart NAME`: the distributed system
 * on this machine without Docker (docs/architecture.md, Run modes). The processes themselves are owned by
 * supervisor.ts; this CLI talks to them through the cluster directory and PIDs.
 */
import { loadClusterConfig } from '../lib/config.js';
import { down } from './down.js';
import { probe } from './health.js';
import { createProgress } from '../lib/progress.js';
import { parseCli, type CliOptions } from './options.js';
import { isAlive, signalGroup, signalPid } from './processes.js';
import { readPlan, readState, type ClusterState } from './state.js';
import { useClusterSecrets } from './secrets.js';
import { resolveTarget } from './targets.js';
import { up } from './up.js';

/** The cluster's state, with this process's probes logged in to it. */
function requireState(dir: string): ClusterState {
  const state = readState(dir);
  if (state === undefined) throw new Error(`no cluster in ${dir}`);
  useClusterSecrets(dir);
  return state;
}

async function status(opts: CliOptions): Promise<number> {
  const state = requireState(opts.dir);
  const components = await Promise.all(
    state.components.map(async (c) => {
      const alive = isAlive(c.pid);
      const health = alive ? await probe(c) : { healthy: false, detail: 'not running' };
      return { ...c, alive, healthy: health.healthy, detail: health.detail };
    }),
  );
  const supervisorAlive = isAlive(state.supervisorPid);
  if (opts.json) {
    console.log(JSON.stringify({ ...state, supervisorAlive, components }, null, 2));
  } else {
    console.log(
      `supervisor ${state.supervisorPid} ${supervisorAlive ? 'alive' : 'DEAD'}, phase ${state.phase}`,
    );
    console.log(`gateway http://127.0.0.1:${state.gatewayPort}`);
    for (const c of components) {
      const cells = [
        c.name.padEnd(16),
        c.kind.padEnd(8),
        String(c.pid).padStart(7),
        String(c.port).padStart(5),
      ];
      console.log(
        `${cells.join(' ')} ${c.alive ? 'alive' : 'DEAD '} ${c.healthy ? 'healthy  ' : 'UNHEALTHY'} ${c.detail}`,
      );
    }
  }
  return supervisorAlive && components.every((c) => c.alive && c.healthy) ? 0 : 3;
}

async function signalComponent(opts: CliOptions, target: string): Promise<number> {
  const state = requireState(opts.dir);
  if (!isAlive(state.supervisorPid))
    throw new Error('the supervisor is not running: nothing would restart it');
  const component = await resolveTarget(target, state, readPlan(opts.dir));
  if (!isAlive(component.pid)) throw new Error(`${component.name} is not running now (restarting?)`);
  if (opts.command === 'kill') {
    // The whole group: RabbitMQ's launcher is a shell script whose Erlang VM is its child.
    signalGroup(component.pid, 'SIGKILL');
  } else {
    signalPid(component.pid, 'SIGTERM');
  }
  console.log(`${opts.command === 'kill' ? 'killed' : 'restarting'} ${component.name} pid ${component.pid}`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const cfg = loadClusterConfig();
  const opts = parseCli(argv, cfg);
  switch (opts.command) {
    case 'up': {
      // Progress on stderr: the ready line is the only stdout line, and scripts read it.
      const state = await up(opts, cfg, createProgress(process.stderr, 2));
      console.log(`ready http://127.0.0.1:${state.gatewayPort}`);
      return 0;
    }
    case 'down': {
      const { state, left } = await down(opts.dir);
      if (state === undefined) {
        console.log(`no cluster in ${opts.dir}`);
        return 0;
      }
      if (left.length > 0) {
        console.error(`still running: ${left.join(', ')}`);
        return 1;
      }
      console.log(`stopped ${state.components.length} components and the supervisor`);
      return 0;
    }
    case 'status':
      return status(opts);
    case 'kill':
    case 'restart':
      return signalComponent(opts, opts.target ?? '');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
