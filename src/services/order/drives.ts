/**
 * The sagas this replica drives now: each at the epoch it owns it, with its steps so far.
 * Concurrent callers of one saga share its drive; a drive at an older epoch (this replica was
 * fenced off, e.g. while paused, and then took the saga over again) is stale, and the new epoch
 * gets a drive of its own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Outcome } from '../../lib/outcome.js';
import type { StepRecord } from './journal.js';
import type { Saga } from './store.js';

export interface Drives {
  /** The saga's drive at its epoch (or a newer one), else the one `run` starts now. */
  start(saga: Saga, run: (steps: StepRecord[]) => Promise<Outcome>): Promise<Outcome>;
  /** Forgets the saga's drive at `epoch` (it ended, or was handed off); a newer one stays. */
  forget(sagaId: string, epoch: number): void;
  outcomeOf: (sagaId: string) => Promise<Outcome> | undefined;
  /** The steps of the current phase, as far as they got. */
  stepsOf: (sagaId: string) => StepRecord[] | undefined;
  count: () => number;
  /** Waits, at most `ms`, for every drive running now to end. */
  drain(ms: number): Promise<void>;
}

export function createDrives(): Drives {
  const driving = new Map<string, { epoch: number; outcome: Promise<Outcome>; steps: StepRecord[] }>();
  const forget = (sagaId: string, epoch: number): void => {
    if (driving.get(sagaId)?.epoch === epoch) driving.delete(sagaId);
  };
  return {
    start(saga, run) {
      const existing = driving.get(saga.sagaId);
      if (existing && existing.epoch >= saga.epoch) return existing.outcome;
      const steps: StepRecord[] = [];
      const entry = { epoch: saga.epoch, outcome: run(steps), steps };
      entry.outcome = entry.outcome.finally(() => forget(saga.sagaId, entry.epoch));
      driving.set(saga.sagaId, entry);
      return entry.outcome;
    },
    forget,
    outcomeOf: (sagaId) => driving.get(sagaId)?.outcome,
    stepsOf: (sagaId) => driving.get(sagaId)?.steps,
    count: () => driving.size,
    async drain(ms) {
      const inFlight = [...driving.values()].map((entry) => entry.outcome);
      await Promise.race([Promise.allSettled(inFlight), sleep(ms)]);
    },
  };
}
