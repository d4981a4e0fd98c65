/**
 * What clients saw during a run, from the ledger's attempts: errors by kind, the requests that
 * failed once the fault began, and how long throughput took to come back.
 *
 * Throughput counts useful answers (200, or a refusal for short stock or credit) per 100 ms.
 * Baseline: the rate over the 3 s before the fault. Recovery time: from the fault to the
 * start of the first 1 s window back at half the baseline or more (its first 100 ms too),
 * after the first window under it (0 when throughput never fell under half). Only the time until 95 % of the run's
 * useful answers were in is looked at: the load's own tail is not a fault. The rate from
 * recovery to that point, over the baseline, tells whether it came back fully.
 */
import type { Attempt, Entry, Ledger } from './ledger.js';

/** Refusals the workloads expect in normal operation; any other 4xx is a client error. */
const EXPECTED_REFUSALS = new Set(['insufficient stock', 'insufficient credit']);

export type AttemptKind = 'useful' | 'server_error' | 'unavailable' | 'no_answer' | 'unexpected_4xx';

/**
 * A 503 with Retry-After: a dependency stayed unavailable past a bounded wait (README, every
 * 5xx). Its write may or may not have applied; the checker counts it as either (ledger.ts,
 * uncertain). Only a fault that makes the store refuse acknowledgements may cause one.
 */
export function isUnavailable(attempt: Attempt): boolean {
  return attempt.status === 503 && attempt.retryAfter !== undefined;
}

export function kindOf(attempt: Attempt): AttemptKind {
  if (attempt.status === 'none') return 'no_answer';
  if (isUnavailable(attempt)) return 'unavailable';
  if (attempt.status >= 500) return 'server_error';
  if (attempt.status === 200 || EXPECTED_REFUSALS.has(attempt.error ?? '')) return 'useful';
  return 'unexpected_4xx';
}

export interface RunMetrics {
  requests: number;
  attempts: number;
  serverErrors: number;
  /** 503 with Retry-After (isUnavailable): not among serverErrors. */
  unavailable: number;
  noAnswer: number;
  unexpected4xx: number;
  /** Distinct messages of unexpected 4xx and transport errors, with counts. */
  errorMessages: Record<string, number>;
  /** Requests with at least one failed attempt that ended after the fault began. */
  failedDuringFault: number;
  /** Requests whose last attempt still failed (no answer or 5xx after all retries). */
  unresolved: number;
  baselinePerSec: number;
  recoveryMs: number | undefined;
  /** False when throughput was still under half the baseline when the load ended. */
  recovered: boolean;
  /** Throughput from recovery until the load's tail, over the baseline. */
  afterRatio: number | undefined;
  durationMs: number;
  /** Useful answers in each second of the run, for a look at the dip. */
  perSecond: number[];
  /** When the fault began, in ms since the run's start. */
  faultOffsetMs: number | undefined;
}

const BUCKET_MS = 100;
const WINDOW_BUCKETS = 10;

export function measure(ledger: Ledger, runStart: number, faultAt: number | undefined): RunMetrics {
  const entries: Entry[] = ledger.requests.filter((e) => (e.tries[0]?.start ?? -1) >= runStart);
  const attempts = entries.flatMap((e) => e.tries);
  const counts = { useful: 0, server_error: 0, unavailable: 0, no_answer: 0, unexpected_4xx: 0 };
  const errorMessages: Record<string, number> = {};
  for (const a of attempts) {
    const kind = kindOf(a);
    counts[kind]++;
    if (kind !== 'useful') {
      const message = `${a.status} ${a.error ?? ''}`.trim();
      errorMessages[message] = (errorMessages[message] ?? 0) + 1;
    }
  }
  const failedAfter = (t: number): number =>
    entries.filter((e) => e.tries.some((a) => kindOf(a) !== 'useful' && a.end >= t)).length;
  const unresolved = entries.filter((e) => {
    const last = e.tries[e.tries.length - 1];
    return last === undefined || last.status === 'none' || last.status >= 500;
  }).length;

  const useful = attempts
    .filter((a) => kindOf(a) === 'useful')
    .map((a) => a.end)
    .sort((a, b) => a - b);
  const end = attempts.reduce((max, a) => Math.max(max, a.end), runStart);
  const buckets = new Array<number>(Math.ceil((end - runStart) / BUCKET_MS) + 1).fill(0);
  for (const t of useful) {
    const b = Math.floor((t - runStart) / BUCKET_MS);
    buckets[b] = (buckets[b] ?? 0) + 1;
  }
  const rate = (fromBucket: number): number => {
    let sum = 0;
    for (let b = fromBucket; b < fromBucket + WINDOW_BUCKETS; b++) sum += buckets[b] ?? 0;
    return (sum * 1000) / (WINDOW_BUCKETS * BUCKET_MS);
  };

  let baselinePerSec = 0;
  let recoveryMs: number | undefined;
  let recovered = true;
  let afterRatio: number | undefined;
  if (faultAt !== undefined) {
    const faultBucket = Math.floor((faultAt - runStart) / BUCKET_MS);
    const from = Math.max(0, faultBucket - 30);
    const span = faultBucket - from;
    const before = buckets.slice(from, faultBucket).reduce((a, b) => a + b, 0);
    baselinePerSec = span > 0 ? (before * 1000) / (span * BUCKET_MS) : 0;
    const t95 = useful[Math.floor(useful.length * 0.95)] ?? end;
    const tailBucket = Math.floor((t95 - runStart) / BUCKET_MS);
    const lastWindow = tailBucket - WINDOW_BUCKETS;
    const half = baselinePerSec / 2;
    let back = faultBucket;
    let dip: number | undefined;
    for (let b = faultBucket; b <= lastWindow && dip === undefined; b++) if (rate(b) < half) dip = b;
    if (dip !== undefined) {
      back = dip + 1;
      // Back when the next second runs at half the baseline and its first 100 ms already do.
      const resumed = (b: number): boolean =>
        rate(b) >= half && ((buckets[b] ?? 0) * 1000) / BUCKET_MS >= half;
      while (back <= lastWindow && !resumed(back)) back++;
      recovered = back <= lastWindow;
    }
    recoveryMs = dip === undefined ? 0 : Math.max(0, runStart + back * BUCKET_MS - faultAt);
    const after = buckets.slice(back, tailBucket).reduce((a, b) => a + b, 0);
    const seconds = ((tailBucket - back) * BUCKET_MS) / 1000;
    afterRatio =
      recovered && seconds >= 1 && baselinePerSec > 0 ? after / seconds / baselinePerSec : undefined;
  } else {
    baselinePerSec = useful.length / Math.max(0.001, (end - runStart) / 1000);
  }

  return {
    requests: entries.length,
    attempts: attempts.length,
    serverErrors: counts.server_error,
    unavailable: counts.unavailable,
    noAnswer: counts.no_answer,
    unexpected4xx: counts.unexpected_4xx,
    errorMessages,
    failedDuringFault: faultAt === undefined ? 0 : failedAfter(faultAt),
    unresolved,
    baselinePerSec: Math.round(baselinePerSec),
    recoveryMs,
    recovered,
    afterRatio,
    durationMs: end - runStart,
    perSecond: Array.from({ length: Math.ceil(buckets.length / 10) }, (_, i) =>
      buckets.slice(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0),
    ),
    faultOffsetMs: faultAt === undefined ? undefined : faultAt - runStart,
  };
}
