import { describe, expect, it } from 'vitest';
import { measureHopCost } from '../../bench/hop-cost.js';
import { hopSentence } from '../../bench/report.js';

describe('bench: the cost of one hop between two processes', () => {
  it('times a ping-pong with a child process, back to back and after idle pauses, and charges both sides', async () => {
    const cost = await measureHopCost(500, 20);
    console.log('loopback round trip:', cost);
    expect(cost.roundTrips).toBe(500);
    expect(cost.idleRoundTrips).toBe(20);
    expect(cost.idleGapMs).toBeGreaterThan(0);
    // A round trip wakes each side once: it takes time and some CPU on both, and a side
    // cannot use more CPU than the wall time the round trip took.
    expect(cost.wallUs).toBeGreaterThan(0);
    expect(cost.cpuUsPerSide).toBeGreaterThan(0);
    expect(cost.cpuUsPerSide).toBeLessThanOrEqual(cost.wallUs);
    // The idle phase took 20 pauses of idleGapMs: its per-trip CPU is bounded by that window.
    expect(cost.idleWallUs).toBeGreaterThan(0);
    expect(cost.idleCpuUsPerSide).toBeGreaterThan(0);
    expect(cost.idleCpuUsPerSide ?? Infinity).toBeLessThan(
      (cost.idleGapMs ?? 0) * 1000 + (cost.idleWallUs ?? 0),
    );
  });

  it('states both figures, and only the back-to-back one for results older than the idle probe', () => {
    const old = { roundTrips: 10_000, wallUs: 150, cpuUsPerSide: 70 };
    expect(hopSentence(old)).toBe(
      'One loopback round trip between two processes took 150 µs and 70 CPU-µs on each side (10,000 round trips before the run).',
    );
    const both = { ...old, idleRoundTrips: 200, idleGapMs: 5, idleWallUs: 260, idleCpuUsPerSide: 95 };
    expect(hopSentence(both)).toBe(
      'One loopback round trip between two processes took 150 µs and 70 CPU-µs on each side back to back, ' +
        'and 260 µs (median) and 95 CPU-µs after 5 ms idle (10,000 and 200 round trips before the run).',
    );
  });
});
