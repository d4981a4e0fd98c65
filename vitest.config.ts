import { defineConfig } from 'vitest/config';

/**
 * Four tiers, each a vitest project (`npm run test:<tier>` = `vitest run --project <tier>`):
 * - unit: no servers -- pure logic, SQLite, the app in-process.
 * - integration: the machine's Redis (6379) and RabbitMQ (5672) under unique key prefixes and
 *   queue names, so its files may run side by side.
 * - system: real processes (cluster, embedded, chaos, fuzz, bench smoke): one file at a time,
 *   since each one loads the 2 shared cores by itself.
 * - deploy: checks of deploy/ (compose, Helm, k8s, Dockerfile, nginx and Redis scripts).
 * Vitest sizes pools globally, not per project, so the parallel tiers run in the `threads` pool
 * and the system tier in a `forks` pool of one; the system tier runs after the others.
 *
 * The threads pool reuses its workers' module cache from one file to the next (`isolate:
 * false`; vitest 3 decides this per pool, not per project, and still gives each project fresh
 * workers). Every unit file imports Fastify, Ajv, swagger and SQLite, and importing them again
 * per file was a fifth of the unit tier's CPU time (18.5 -> 14.5 CPU-s). The files share no
 * state: each builds its own stores, bus and app, and the one file that installs a tracer puts
 * the previous one back. The workers live for the whole run (minThreads = maxThreads): shared
 * workers that tinypool ends while idle fail the run with "Terminating worker thread"
 * (vitest-dev/vitest#8564).
 */
const tier = (name: string, parallel: boolean) => ({
  extends: true as const,
  test: {
    name,
    include: [`test/${name}/**/*.test.ts`],
    // Installs the Debian packages the tier starts (apt-get), once per tier and run.
    globalSetup: ['test/support/packages.ts'],
    pool: parallel ? ('threads' as const) : ('forks' as const),
    sequence: { groupOrder: parallel ? 0 : 1 },
  },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    poolOptions: {
      threads: { maxThreads: 4, minThreads: 4, isolate: false },
      forks: { maxForks: 1, minForks: 1 },
    },
    projects: [tier('unit', true), tier('integration', true), tier('system', false), tier('deploy', true)],
  },
});
