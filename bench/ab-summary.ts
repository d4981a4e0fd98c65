/**
 * The arithmetic of an A/B comparison (bench/ab.ts): which side runs when, and what the runs
 * say together. On a shared VM two runs of one build differ by 10-30 % minutes apart, so one
 * run of A against one of B decides nothing; the comparison interleaves them, alternates which
 * side goes first, and reports every run beside the medians and the spread of each side.
 */

import { median, spreadPercent } from './stats.js';

export type Side = 'A' | 'B';

/** One open-loop run of one side at one rate. */
export interface AbRun {
  side: Side;
  round: number;
  /** Offered checkouts per second. */
  rate: number;
  /** Committed checkouts (2xx) in the run. */
  committed: number;
  /** Answers that were not 2xx, and socket errors or lost requests. */
  failed: number;
  /** CPU-µs of the side's processes (generator excluded) per committed checkout. */
  cpuUsPerCheckout: number;
  p50Ms: number;
  p99Ms: number;
  /** Percent of one core that processes outside the measured side used meanwhile. */
  othersCpu: number;
}

/** Per round and rate, A then B in even rounds and B then A in odd ones: a drift of the machine
 * over the session then falls on both sides alike. */
export function runOrder(
  rounds: number,
  rates: readonly number[],
): { round: number; rate: number; side: Side }[] {
  const order: { round: number; rate: number; side: Side }[] = [];
  for (let round = 0; round < rounds; round++) {
    const sides: Side[] = round % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    for (const rate of rates) for (const side of sides) order.push({ round, rate, side });
  }
  return order;
}

export interface AbRow {
  rate: number;
  metric: 'CPU-µs per checkout' | 'p50 ms' | 'p99 ms';
  a: number[];
  b: number[];
  medianA: number;
  medianB: number;
  /** medianB / medianA; below 1 means B is cheaper or faster. */
  ratio: number;
  spreadA: number;
  spreadB: number;
  /**
   * True when every run of B is below every run of A, or every one above: the only verdict
   * that does not depend on how the noise is distributed. With 3 rounds a side, chance alone
   * gives it 1 time in 10. Never with fewer than 2 runs a side: one run of each always lies on
   * one side of the other, which says nothing.
   */
  separated: boolean;
}

const METRICS = [
  ['CPU-µs per checkout', (r: AbRun) => r.cpuUsPerCheckout],
  ['p50 ms', (r: AbRun) => r.p50Ms],
  ['p99 ms', (r: AbRun) => r.p99Ms],
] as const;

export function summarise(runs: readonly AbRun[]): AbRow[] {
  const rates = [...new Set(runs.map((r) => r.rate))].sort((x, y) => x - y);
  const rows: AbRow[] = [];
  for (const rate of rates) {
    for (const [metric, value] of METRICS) {
      const of = (side: Side): number[] => runs.filter((r) => r.rate === rate && r.side === side).map(value);
      const a = of('A');
      const b = of('B');
      const medianA = median(a);
      const medianB = median(b);
      const separated =
        a.length >= 2 &&
        b.length >= 2 &&
        (Math.max(...b) < Math.min(...a) || Math.min(...b) > Math.max(...a));
      rows.push({
        rate,
        metric,
        a,
        b,
        medianA,
        medianB,
        ratio: medianA === 0 ? 0 : Math.round((medianB / medianA) * 1000) / 1000,
        spreadA: spreadPercent(a),
        spreadB: spreadPercent(b),
        separated,
      });
    }
  }
  return rows;
}

const cell = (values: readonly number[]): string => values.map((v) => Math.round(v * 10) / 10).join(' / ');

/** The comparison as a Markdown table, with a line on what each side was. */
export function abMarkdown(rows: readonly AbRow[], sides: Record<Side, string>): string {
  const lines = [
    `A: ${sides.A}`,
    `B: ${sides.B}`,
    '',
    '| rate/s | metric | A runs | B runs | median A | median B | B ÷ A | spread A | spread B | every B run beyond every A run |',
    '|---:|---|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.rate} | ${r.metric} | ${cell(r.a)} | ${cell(r.b)} | ${Math.round(r.medianA * 10) / 10} | ` +
        `${Math.round(r.medianB * 10) / 10} | ${r.ratio} | ${r.spreadA} % | ${r.spreadB} % | ${r.separated ? 'yes' : 'no'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
