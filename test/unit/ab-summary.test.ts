import { describe, expect, it } from 'vitest';
import { abMarkdown, runOrder, summarise, type AbRun } from '../../bench/ab-summary.js';
import { median, spreadPercent } from '../../bench/stats.js';

const runOf = (side: 'A' | 'B', round: number, rate: number, cpu: number, p50 = 5): AbRun => ({
  side,
  round,
  rate,
  committed: rate,
  failed: 0,
  cpuUsPerCheckout: cpu,
  p50Ms: p50,
  p99Ms: p50 * 4,
  othersCpu: 3,
});

describe('bench:ab arithmetic', () => {
  it('interleaves the sides at every rate and alternates which goes first, round by round', () => {
    expect(runOrder(2, [100, 400]).map((s) => `${s.round}:${s.rate}:${s.side}`)).toEqual([
      '0:100:A',
      '0:100:B',
      '0:400:A',
      '0:400:B',
      '1:100:B',
      '1:100:A',
      '1:400:B',
      '1:400:A',
    ]);
  });

  it('takes the median of odd and even counts and the spread over the median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
    expect(spreadPercent([90, 100, 110])).toBe(20);
    expect(spreadPercent([100])).toBe(0);
  });

  it('says B beats A only when every run of B lies beyond every run of A', () => {
    const separated = summarise([
      runOf('A', 0, 200, 1000),
      runOf('B', 0, 200, 800),
      runOf('B', 1, 200, 850),
      runOf('A', 1, 200, 950),
    ]);
    const cpu = separated.find((r) => r.metric === 'CPU-µs per checkout');
    expect(cpu).toMatchObject({ rate: 200, a: [1000, 950], b: [800, 850], medianA: 975, medianB: 825 });
    expect(cpu?.ratio).toBe(0.846);
    expect(cpu?.separated).toBe(true);

    const overlapping = summarise([
      runOf('A', 0, 200, 1000),
      runOf('B', 0, 200, 800),
      runOf('B', 1, 200, 1100),
      runOf('A', 1, 200, 900),
    ]);
    expect(overlapping.find((r) => r.metric === 'CPU-µs per checkout')?.separated).toBe(false);

    // One run a side always lies on one side of the other: no verdict from that.
    const single = summarise([runOf('A', 0, 200, 1000), runOf('B', 0, 200, 500)]);
    expect(single.find((r) => r.metric === 'CPU-µs per checkout')?.separated).toBe(false);
  });

  it('prints one row per rate and metric, with what each side was', () => {
    const rows = summarise([runOf('A', 0, 100, 2000), runOf('B', 0, 100, 1500), runOf('A', 0, 400, 900)]);
    expect(rows.map((r) => `${r.rate} ${r.metric}`)).toEqual([
      '100 CPU-µs per checkout',
      '100 p50 ms',
      '100 p99 ms',
      '400 CPU-µs per checkout',
      '400 p50 ms',
      '400 p99 ms',
    ]);
    const md = abMarkdown(rows, { A: 'this checkout', B: 'services X=1' });
    expect(md).toContain('A: this checkout\nB: services X=1\n');
    expect(md).toContain('| 100 | CPU-µs per checkout | 2000 | 1500 | 2000 | 1500 | 0.75 |');
    // A side without runs at a rate has no median to divide by.
    expect(rows.find((r) => r.rate === 400 && r.metric === 'CPU-µs per checkout')?.ratio).toBe(0);
  });
});
