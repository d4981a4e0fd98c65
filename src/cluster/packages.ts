/** The Debian packages the cluster runs on, installed with apt-get when a binary is missing. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NGINX, REDIS_SENTINEL, REDIS_SERVER } from './components.js';
import { RABBITMQ_SERVER } from './rabbitmq-node.js';

const NEEDED: readonly { binary: string; pkg: string }[] = [
  { binary: REDIS_SERVER, pkg: 'redis-server' },
  { binary: REDIS_SENTINEL, pkg: 'redis-sentinel' },
  { binary: '/usr/bin/redis-cli', pkg: 'redis-tools' },
  { binary: NGINX, pkg: 'nginx' },
  { binary: RABBITMQ_SERVER, pkg: 'rabbitmq-server' },
];

export function missingPackages(): string[] {
  return NEEDED.filter((n) => !existsSync(n.binary)).map((n) => n.pkg);
}

/**
 * Installs what is missing. apt-get's output goes to stderr: stdout of `up` is one line.
 * Note that the Debian packages also start their system services (nginx on 80, a broker on
 * 5672); the cluster never uses them.
 */
export function ensurePackages(path: string): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const env = { PATH: path, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]): void => {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 2, 2] });
    if (result.status !== 0) {
      throw new Error(`apt-get ${args.join(' ')} failed (need root?): install ${missing.join(' ')} by hand`);
    }
  };
  run(['update']);
  run(['install', '-y', '--no-install-recommends', ...missing]);
  const still = missingPackages();
  if (still.length > 0) throw new Error(`still missing after apt-get: ${still.join(' ')}`);
}
