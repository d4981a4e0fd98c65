/** The chaos table: one row per scenario and fault, as text (README, console) and JSON. */
import type { ScenarioResult } from './scenario.js';

export interface Row {
  scenario: string;
  fault: string;
  violations: number;
  violationKinds: Record<string, number>;
  serverErrors: number;
  /**
   * 503 with Retry-After: allowed only where the fault says so (Fault.allowsUnavailable).
   * Absent in rows recorded before it was counted apart.
   */
  unavailable?: number;
  /** Attempts without an answer plus 4xx that were not a business refusal. */
  otherErrors: number;
  noAnswer: number;
  unexpected4xx: number;
  errorMessages: Record<string, number>;
  failedDuringFault: number;
  unresolved: number;
  recoverySeconds: number | null;
  recovered: boolean;
  /** Throughput after recovery over the one before the fault. */
  afterRatio: number | null;
  baselinePerSec: number;
  checkouts: number;
  requests: number;
  durationSeconds: number;
  prepareSeconds: number;
  checkSeconds: number;
  perSecond: number[];
  faultOffsetSeconds: number | null;
  /** Saga takeovers the order replicas counted during the run (evidence of recovery at work). */
  takeovers?: number;
  faultError?: string;
}

export function rowOf(result: ScenarioResult, takeovers?: number): Row {
  const m = result.metrics;
  return {
    scenario: result.scenario,
    fault: result.fault,
    violations: result.violations,
    violationKinds: result.violationKinds,
    serverErrors: m.serverErrors,
    unavailable: m.unavailable,
    otherErrors: m.noAnswer + m.unexpected4xx,
    noAnswer: m.noAnswer,
    unexpected4xx: m.unexpected4xx,
    errorMessages: m.errorMessages,
    failedDuringFault: m.failedDuringFault,
    unresolved: m.unresolved,
    recoverySeconds: m.recoveryMs === undefined ? null : Math.round(m.recoveryMs / 100) / 10,
    recovered: m.recovered,
    afterRatio: m.afterRatio === undefined ? null : Math.round(m.afterRatio * 100) / 100,
    baselinePerSec: m.baselinePerSec,
    checkouts: result.checkouts,
    requests: m.requests,
    durationSeconds: Math.round(m.durationMs / 100) / 10,
    prepareSeconds: Math.round(result.prepareMs / 100) / 10,
    checkSeconds: Math.round(result.checkMs / 100) / 10,
    perSecond: m.perSecond,
    faultOffsetSeconds: m.faultOffsetMs === undefined ? null : Math.round(m.faultOffsetMs / 100) / 10,
    ...(takeovers === undefined ? {} : { takeovers }),
    ...(result.faultError === undefined ? {} : { faultError: result.faultError }),
  };
}

const HEADER = [
  'scenario',
  'fault',
  'violations',
  '5xx',
  'other errors',
  'failed during fault',
  'unresolved',
  'recovery s',
  'after/before',
  'baseline/s',
  'checkouts',
  'takeovers',
  'run s',
];

function cells(row: Row): string[] {
  const recovery =
    row.recoverySeconds === null
      ? '-'
      : `${row.recoverySeconds}${row.recovered ? '' : ' (load ended first)'}`;
  return [
    row.scenario,
    row.fault + (row.faultError ? ' (NOT INJECTED)' : ''),
    String(row.violations),
    // The 503s with Retry-After beside the 5xx they are not counted among, when there were any.
    `${row.serverErrors}${row.unavailable ? ` (+${row.unavailable} 503 Retry-After)` : ''}`,
    String(row.otherErrors),
    String(row.failedDuringFault),
    String(row.unresolved),
    recovery,
    row.afterRatio === null ? '-' : `${Math.round(row.afterRatio * 100)} %`,
    String(row.baselinePerSec),
    String(row.checkouts),
    row.takeovers === undefined ? '-' : String(row.takeovers),
    String(row.durationSeconds),
  ];
}

/** A Markdown table (readable in a terminal too). */
export function formatTable(rows: readonly Row[]): string {
  const all = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(HEADER),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map((r) => line(cells(r))),
  ].join('\n');
}

/** The errors clients saw, per row, for the text under the table. */
export function formatErrors(rows: readonly Row[]): string {
  return rows
    .filter((r) => Object.keys(r.errorMessages).length > 0 || r.violations > 0)
    .map((r) => {
      const errors = Object.entries(r.errorMessages)
        .sort((a, b) => b[1] - a[1])
        .map(([message, n]) => `${n} x ${message}`)
        .join('; ');
      const kinds = r.violations > 0 ? ` VIOLATIONS ${JSON.stringify(r.violationKinds)}` : '';
      return `- ${r.scenario} / ${r.fault}: ${errors}${kinds}`;
    })
    .join('\n');
}
