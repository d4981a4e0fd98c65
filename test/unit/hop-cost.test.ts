import { describe, expect, it } from 'vitest';
import { measureHopCost } from '../../bench/hop-cost.js';

describe('bench: the cost of one hop between two processes', () => {
  it('times a ping-pong with a child process and charges both sides', async () => {
    const cost = await measureHopCost(500);
    console.log('loopback round trip:', cost);
    expect(cost.roundTrips).toBe(500);
    // A round trip wakes each side once: it takes time and some CPU on both, and a side
    // cannot use more CPU than the wall time the round trip took.
    expect(cost.wallUs).toBeGreaterThan(0);
    expect(cost.cpuUsPerSide).toBeGreaterThan(0);
    expect(cost.cpuUsPerSide).toBeLessThanOrEqual(cost.wallUs);
  });
});
