/** harness/takeovers.ts: takeovers summed from scraped counters, across replica restarts. */
import { describe, expect, it } from 'vitest';
import { advance, parseSample, type CounterSample, type CounterTrack } from '../../harness/takeovers.js';

const sample = (start: number, values: Record<string, number>): CounterSample => ({ start, values });
const REQ = 'saga_takeovers_total{by="request"}';
const SWEEP = 'saga_takeovers_total{by="sweeper"}';

function counted(samples: CounterSample[]): number {
  const track: CounterTrack = { last: undefined, total: 0 };
  for (const s of samples) advance(track, s);
  return track.total;
}

describe('takeover counting', () => {
  it('reads the counter series and the start time from a Prometheus exposition', () => {
    const text = [
      '# HELP saga_takeovers_total Sagas this process took over',
      '# TYPE saga_takeovers_total counter',
      'saga_takeovers_total{by="request"} 3',
      'saga_takeovers_total{by="sweeper"} 2',
      'saga_takeovers_total_other 99',
      'process_start_time_seconds 1700000000',
      '',
    ].join('\n');
    expect(parseSample(text)).toEqual({ start: 1700000000, values: { [REQ]: 3, [SWEEP]: 2 } });
  });

  it('counts nothing at the baseline and the deltas after it, over every label', () => {
    expect(
      counted([sample(1, { [REQ]: 5 }), sample(1, { [REQ]: 7 }), sample(1, { [REQ]: 7, [SWEEP]: 2 })]),
    ).toBe(4);
  });

  it('keeps what was counted before a restart and counts from 0 after a lower value', () => {
    // 5 -> 8 (3 counted), killed, back at 0 -> 2 (2 more): 5 in all.
    expect(
      counted([
        sample(Number.NaN, { [REQ]: 5 }),
        sample(Number.NaN, { [REQ]: 8 }),
        sample(Number.NaN, { [REQ]: 2 }),
      ]),
    ).toBe(5);
  });

  it('sees a restart by its new start time even when the counter came back higher', () => {
    // 5 before the kill; the new process took over 9 before its first scrape: all 9 count.
    expect(counted([sample(1, { [REQ]: 5 }), sample(2, { [REQ]: 9 })])).toBe(9);
  });

  it('treats a series a restarted process has not shown yet as 0', () => {
    expect(counted([sample(1, { [REQ]: 4, [SWEEP]: 1 }), sample(2, { [SWEEP]: 1 })])).toBe(1);
  });

  it('counts a replica first seen during the run from 0', () => {
    const track: CounterTrack = { last: { start: Number.NaN, values: {} }, total: 0 };
    advance(track, sample(3, { [REQ]: 6 }));
    expect(track.total).toBe(6);
  });
});
