/**
 * A private RabbitMQ node (Debian's rabbitmq-server 3.10): its own HOME (so its own Erlang cookie) and
 * every RABBITMQ_* path overridden, or the node would read the machine's broker files.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../lib/retry.js';

export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export const beamPidFile = (dir: string): string => join(dir, 'beam.pid');

/**
 * Erlang VM flags for a node that shares two cores with some twenty other processes. By
 * default an idle scheduler spins (busy-waits) before it sleeps, for normal, dirty CPU and
 * dirty I/O schedulers alike: on a dedicated host that buys latency, here it burns the cores
 * the services need, worst at low load where every message finds the schedulers idle.
 */
export const ERL_VM_FLAGS = '+sbwt none +sbwtdcpu none +sbwtdio none';

/** The launcher's environment: nothing inherited but PATH (erl lives in /usr/bin). */
export function rabbitEnv(opts: {
  dir: string;
  port: number;
  distPort: number;
  path: string;
  /** Replaces ERL_VM_FLAGS (for measuring other settings). */
  erlFlags?: string | undefined;
}): Record<string, string> {
  const etc = join(opts.dir, 'etc');
  return {
    PATH: opts.path,
    HOME: join(opts.dir, 'home'),
    RABBITMQ_NODENAME: `ck-rmq-${opts.port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(opts.port),
    RABBITMQ_DIST_PORT: String(opts.distPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: `-kernel inet_dist_use_interface {127,0,0,1} ${opts.erlFlags ?? ERL_VM_FLAGS}`,
    RABBITMQ_CONF_ENV_FILE: join(etc, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(etc, 'rabbitmq.conf'),
    RABBITMQ_CONFIG_FILES: join(etc, 'conf.d', '*.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(etc, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(etc, 'enabled_plugins'),
    RABBITMQ_MOTD_FILE: join(etc, 'motd'),
    RABBITMQ_MNESIA_BASE: join(opts.dir, 'data'),
    RABBITMQ_LOG_BASE: join(opts.dir, 'log'),
    RABBITMQ_PID_FILE: beamPidFile(opts.dir),
  };
}

/**
 * Creates the node's directories, cookie and config files (kept across restarts). The broker
 * has one user, created at its first boot from rabbitmq.conf; `guest` is never created.
 */
export function prepareRabbitDir(dir: string, user: { username: string; password: string }): void {
  for (const sub of ['home', 'etc', 'data', 'log']) mkdirSync(join(dir, sub), { recursive: true });
  const cookie = join(dir, 'home', '.erlang.cookie');
  if (!existsSync(cookie)) {
    writeFileSync(cookie, randomBytes(32).toString('hex'));
    chmodSync(cookie, 0o400);
  }
  writeFileSync(join(dir, 'etc', 'enabled_plugins'), '[].\n');
  writeFileSync(
    join(dir, 'etc', 'rabbitmq.conf'),
    `default_user = ${user.username}\ndefault_pass = ${user.password}\n`,
    { mode: 0o600 },
  );
  writeFileSync(join(dir, 'etc', 'rabbitmq-env.conf'), '');
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Before a restart: right after a kill -9 the port can still answer briefly, and a stale
 * beam.pid makes the new node's readiness wait on a dead PID (seen here after kill -9).
 */
export async function readyForRestart(dir: string, port: number, timeoutMs = 15_000): Promise<boolean> {
  const refused = await waitFor(async () => !(await portAnswers(port)), timeoutMs, 200);
  rmSync(beamPidFile(dir), { force: true });
  return refused;
}
