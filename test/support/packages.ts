/**
 * vitest globalSetup of every tier: installs the Debian packages that tier's tests start (with
 * apt-get, as `npm run cluster` does), so `npm ci && npm test` needs nothing else on a machine
 * with Node, Redis and RabbitMQ. A tier whose tool cannot be installed fails here, loudly; no
 * test is skipped for a missing tool.
 */
import type { TestProject } from 'vitest/node';
import { CLUSTER_PACKAGES, ensurePackages, type Needed } from '../../src/cluster/packages.js';
import { loadClusterConfig } from '../../src/lib/config.js';
import { WRK } from '../../bench/load.js';
import { CHROMIUM } from './browser.js';

const REDIS: readonly Needed[] = CLUSTER_PACKAGES.filter((n) => n.pkg.startsWith('redis-'));
const NGINX: readonly Needed[] = CLUSTER_PACKAGES.filter((n) => n.pkg === 'nginx');

const BY_TIER: Record<string, readonly Needed[]> = {
  unit: [],
  // Private redis-server and Sentinel processes where replicas or a failover are needed.
  integration: REDIS,
  // The cluster, wrk for the bench smoke run, and Chromium for the console's browser test.
  system: [...CLUSTER_PACKAGES, { binary: WRK, pkg: 'wrk' }, { binary: CHROMIUM, pkg: 'chromium' }],
  // compose config, the gateway's nginx -t, the Redis scripts run for real, shellcheck, and
  // unzip for the helm binary (test/support/helm.ts).
  deploy: [
    ...REDIS,
    ...NGINX,
    { binary: '/usr/bin/docker-compose', pkg: 'docker-compose' },
    { binary: '/usr/bin/shellcheck', pkg: 'shellcheck' },
    { binary: '/usr/bin/unzip', pkg: 'unzip' },
  ],
};

export default function setup(project: TestProject): void {
  const needed = BY_TIER[project.name];
  if (!needed) throw new Error(`test/support/packages.ts: no packages listed for tier ${project.name}`);
  ensurePackages(loadClusterConfig().path, needed);
}
