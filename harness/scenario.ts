/**
 * One chaos run: a workload prepares its state, sends its load, a fault is injected once the
 * load is `faultAt` of the way through, and afterwards the checker judges the final state
 * against the ledger. Answers one row of the chaos table.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { check, type CheckReport, type UnfinishedProbe } from './checker.js';
import type { Fault } from './faults.js';
import type { Ledger } from './ledger.js';
import { newLedger } from './ledger.js';
import { measure, type RunMetrics } from './metrics.js';
import { createRecorder } from './recorder.js';
import type { Workload } from './workloads.js';

export interface ScenarioOptions {
  url: string;
  workload: Workload;
  fault?: Fault;
  /** Fraction of the load sent before the fault is injected (default 0.3). */
  faultAt?: number;
  unfinished?: UnfinishedProbe;
  /** Connections of the load generator (default 128). */
  connections?: number;
  settleMs?: number;
  /** Fraction of untouched batch_init ids the checker reads too (default 1). */
  untouched?: number;
  /** Told when the run enters a phase (preparing, sending, injecting, checking): for progress. */
  onPhase?: (phase: string) => void;
}

export interface ScenarioResult {
  scenario: string;
  fault: string;
  violations: number;
  violationKinds: Record<string, number>;
  checkouts: number;
  metrics: RunMetrics;
  check: CheckReport;
  /** Milliseconds spent building the initial state, and checking afterwards. */
  prepareMs: number;
  checkMs: number;
  /** Set when the fault could not be injected (the run then proves nothing about it). */
  faultError?: string;
  ledger: Ledger;
}

export async function runScenario(opts: ScenarioOptions): Promise<ScenarioResult> {
  const ledger = newLedger(opts.url);
  const rec = createRecorder(ledger, { connections: opts.connections ?? 128, timeoutMs: 60_000 });
  const { workload, fault } = opts;
  let faultError: string | undefined;
  const phase = opts.onPhase ?? ((): void => undefined);
  try {
    phase('preparing');
    const prepareStart = rec.now();
    await workload.prepare(rec);
    const runStart = rec.now();
    phase('sending');
    let finished = false;
    const load = workload.run(rec).finally(() => (finished = true));
    let faultAt: number | undefined;
    if (fault) {
      while (!finished && workload.progress() < (opts.faultAt ?? 0.3)) await sleep(20);
      if (finished) {
        faultError = 'the load finished before the fault could be injected';
      } else {
        faultAt = rec.now();
        const entry = { name: fault.name, at: faultAt, until: faultAt };
        ledger.faults.push(entry);
        phase(`injecting ${fault.name}`);
        try {
          await fault.inject();
        } catch (error) {
          faultError = error instanceof Error ? error.message : String(error);
        }
        entry.until = rec.now();
        phase('sending');
      }
    }
    await load;
    const metrics = measure(ledger, runStart, faultAt);
    rec.close();
    phase('checking');
    const checkStart = Date.now();
    const report = await check(ledger, {
      settleMs: opts.settleMs ?? 60_000,
      untouched: opts.untouched ?? 1,
      width: 128,
      ...(opts.unfinished ? { unfinished: opts.unfinished } : {}),
    });
    const stateViolations = report.violations.filter((v) => v.kind !== 'server_error');
    const kinds = { ...report.kinds };
    delete kinds['server_error'];
    return {
      scenario: workload.name,
      fault: fault?.name ?? 'none',
      violations: stateViolations.length,
      violationKinds: kinds,
      checkouts: workload.checkouts(),
      prepareMs: runStart - prepareStart,
      checkMs: Date.now() - checkStart,
      metrics,
      check: report,
      ...(faultError === undefined ? {} : { faultError }),
      ledger,
    };
  } finally {
    rec.close();
  }
}
