/** Command line of `npm run cluster -- <command>`. Environment variables live in lib/config.ts. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClusterConfig } from '../lib/config.js';
import type { Group } from './components.js';

export const USAGE = `usage: npm run cluster -- <command> [options]
  up                 start everything, print "ready http://127.0.0.1:PORT" once healthy
  down               stop everything by PID and check that nothing is left
  status [--json]    every component with pid, alive and healthy
  kill NAME          SIGKILL a component (the supervisor brings it back)
  restart NAME       SIGTERM a component (the supervisor brings it back)
options:
  --dir DIR          cluster directory (CLUSTER_DIR, default .cluster)
  --only infra       up: Redis, Sentinels, RabbitMQ and nginx, no service processes
  --env K=V          up: set K=V on every service process (repeatable)
  --lean             up: one process per service, one gateway, one Sentinel, a Redis master
                     with one replica (to measure what HA costs; not the default)
  --all-active       up: both replicas of each service take work at once (by default the
                     second stands by and takes over when the first fails)
names: order-1 order-2 stock-1 stock-2 payment-1 payment-2 <svc>-redis-1..3 <svc>-redis-master
  <svc>-redis-replica sentinel-1..3 rabbitmq nginx-1 nginx-2 (nginx = nginx-1)`;

export type Command = 'up' | 'down' | 'status' | 'kill' | 'restart';

export interface CliOptions {
  command: Command;
  target: string | undefined;
  dir: string;
  groups: Set<Group>;
  serviceEnv: Record<string, string>;
  lean: boolean;
  allActive: boolean;
  json: boolean;
}

const COMMANDS: readonly Command[] = ['up', 'down', 'status', 'kill', 'restart'];

/** Repeated `--env K=V` arguments (or another flag's, named in errors) as an environment. */
export function envPairs(pairs: readonly string[] | undefined, flag = '--env'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`${flag} wants K=V, got ${pair}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

export function parseCli(argv: readonly string[], cfg: ClusterConfig): CliOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      only: { type: 'string' },
      env: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      lean: { type: 'boolean' },
      'all-active': { type: 'boolean' },
    },
  });
  const [command, target, ...rest] = positionals;
  if (!COMMANDS.includes(command as Command) || rest.length > 0) throw new Error(USAGE);
  const needsTarget = command === 'kill' || command === 'restart';
  if (needsTarget !== (target !== undefined)) throw new Error(USAGE);
  const groups = new Set<Group>(['infra', 'services']);
  if (values.only !== undefined) {
    if (values.only !== 'infra') throw new Error(`--only accepts infra, got ${values.only}`);
    groups.delete('services');
  }
  const serviceEnv = envPairs(values.env);
  return {
    command: command as Command,
    target,
    dir: resolve(values.dir ?? cfg.dir),
    groups,
    serviceEnv,
    json: values.json ?? false,
    lean: values.lean ?? false,
    allActive: values['all-active'] ?? false,
  };
}
