/**
 * The one back-off (src/lib/retry.ts): every pause is jittered, so clients that failed together
 * (all compensations after a broker outage) spread out instead of retrying in lockstep, and
 * bounded, so no pause exceeds the un-jittered exponential curve nor falls below half of it.
 */
import { describe, expect, it } from 'vitest';
import { backoff, retry } from '../../src/lib/retry.js';

const SAGA_DEFAULTS = { baseMs: 1000, maxMs: 1000 };
const STORE_STEP = { baseMs: 10, maxMs: 1000 };

describe('backoff', () => {
  it('stays within [d/2, d] of the capped exponential d for every attempt', () => {
    for (const policy of [SAGA_DEFAULTS, STORE_STEP, { baseMs: 50, maxMs: 500 }]) {
      for (let attempt = 0; attempt < 64; attempt++) {
        const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
        for (let draw = 0; draw < 50; draw++) {
          const delay = backoff(attempt, policy);
          expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
          expect(delay).toBeLessThanOrEqual(ceiling);
        }
      }
    }
  });

  it('reaches both ends of the window', () => {
    expect(backoff(3, STORE_STEP, () => 0)).toBe(40);
    expect(backoff(3, STORE_STEP, () => 1)).toBe(80);
    expect(backoff(40, STORE_STEP, () => 1)).toBe(1000);
  });

  it('spreads 1000 compensations that failed together over the whole window instead of one instant', () => {
    const delays = Array.from({ length: 1000 }, () => backoff(5, SAGA_DEFAULTS));
    const buckets = new Set(delays.map((delay) => Math.floor((delay - 500) / 50)));
    // Ten 50 ms slots between 500 and 1000 ms: lockstep would fill one, jitter fills them all.
    expect(buckets.size).toBe(10);
    expect(new Set(delays).size).toBeGreaterThan(990);
  });
});

describe('retry', () => {
  const quick = { baseMs: 1, maxMs: 2 };

  it('tries again after errors until the call succeeds, with a bounded jittered pause before each try', async () => {
    const pauses: number[] = [];
    const answer = await retry(
      (attempt) => (attempt < 4 ? Promise.reject(new Error(`down ${attempt}`)) : Promise.resolve(attempt)),
      { ...quick, onRetry: ({ delayMs }) => pauses.push(delayMs) },
    );
    expect(answer).toBe(4);
    expect(pauses).toHaveLength(4);
    pauses.forEach((pause, attempt) => {
      const ceiling = Math.min(quick.maxMs, quick.baseMs * 2 ** attempt);
      expect(pause).toBeGreaterThanOrEqual(ceiling / 2);
      expect(pause).toBeLessThanOrEqual(ceiling);
    });
  });

  it('throws the last error once the tries are used up', async () => {
    let tries = 0;
    await expect(
      retry(() => Promise.reject(new Error(`failure ${++tries}`)), { ...quick, attempts: 3 }),
    ).rejects.toThrow('failure 3');
    expect(tries).toBe(3);
  });

  it('throws at once an error that is not worth retrying', async () => {
    let tries = 0;
    const failing = (): Promise<never> => Promise.reject(new Error(`bug ${++tries}`));
    await expect(retry(failing, { ...quick, retryable: () => false })).rejects.toThrow('bug 1');
    expect(tries).toBe(1);
  });

  it('retries results that ask for it, and answers the last one when the tries are used up', async () => {
    const statuses = [503, 502, 200];
    expect(await retry((n) => Promise.resolve(statuses[n]), { ...quick, again: (s) => s !== 200 })).toBe(200);
    expect(await retry(() => Promise.resolve(503), { ...quick, attempts: 2, again: (s) => s >= 500 })).toBe(
      503,
    );
  });
});
