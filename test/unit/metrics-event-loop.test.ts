import perfHooks from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/lib/metrics.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('default process metrics', () => {
  it('samples the event loop every 100 ms, not every 10 ms, and still exports its lag', async () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    const metrics = createMetrics();
    // prom-client's timer wakes an idle process at this rate (src/lib/metrics.ts).
    expect(monitor).toHaveBeenCalledWith({ resolution: 100 });
    const text = await metrics.render();
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
  });
});
