/**
 * Debian packages installed with apt-get when a binary is missing: those the cluster runs on
 * (`npm run cluster`), and those the test tiers start (test/support/packages.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NGINX, REDIS_SENTINEL, REDIS_SERVER } from './components.js';
import { RABBITMQ_SERVER } from './rabbitmq-node.js';

/** A binary, by absolute path, and the Debian package that installs it. */
export interface Needed {
  binary: string;
  pkg: string;
}

export const CLUSTER_PACKAGES: readonly Needed[] = [
  { binary: REDIS_SERVER, pkg: 'redis-server' },
  { binary: REDIS_SENTINEL, pkg: 'redis-sentinel' },
  { binary: '/usr/bin/redis-cli', pkg: 'redis-tools' },
  { binary: NGINX, pkg: 'nginx' },
  { binary: RABBITMQ_SERVER, pkg: 'rabbitmq-server' },
];

export function missingPackages(needed: readonly Needed[] = CLUSTER_PACKAGES): string[] {
  return [...new Set(needed.filter((n) => !existsSync(n.binary)).map((n) => n.pkg))];
}

/**
 * Installs what is missing. apt-get's output goes to stderr: stdout of `up` is one line. It
 * waits for the dpkg lock, since another run may be installing at the same time.
 * Note that the Debian packages also start their system services (nginx on 80, a broker on
 * 5672); the cluster never uses them.
 */
export function ensurePackages(path: string, needed: readonly Needed[] = CLUSTER_PACKAGES): void {
  const missing = missingPackages(needed);
  if (missing.length === 0) return;
  const env = { PATH: path, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]): void => {
    const result = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
      env,
      stdio: ['ignore', 2, 2],
    });
    if (result.status !== 0) {
      throw new Error(`apt-get ${args.join(' ')} failed (need root?): install ${missing.join(' ')} by hand`);
    }
  };
  run(['update']);
  run(['install', '-y', '--no-install-recommends', ...missing]);
  const still = missingPackages(needed);
  if (still.length > 0) throw new Error(`still missing after apt-get: ${still.join(' ')}`);
}
