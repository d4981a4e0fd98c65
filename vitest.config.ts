import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Cluster and consistency suites start real processes: run files one at a time on 2 cores.
    fileParallelism: false,
  },
});
