/**
 * Recovery: how a saga whose driver died still finishes (docs/architecture.md, saga step 5). A checkout that
 * joins a saga driven elsewhere waits for its outcome and takes it over when the owner's lease
 * expires; every replica's sweeper periodically claims the expired sagas nobody waits for, so
 * no saga stays unfinished and nothing stays reserved.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SagaTiming } from '../../lib/config.js';
import type { Log } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import { OK, refused, type Outcome } from '../../lib/outcome.js';
import { backoff } from '../../lib/retry.js';
import { ownerLine } from './journal.js';
import type { RetryStoreStep } from './store-retry.js';
import type { OrderStore, Saga } from './store.js';

const SWEEP_BATCH = 100;
/** How often a checkout that joined a saga driven elsewhere looks at its record. */
const POLL_BACKOFF = { baseMs: 2, maxMs: 50 };

/** What recovery needs from the replica's drives of the sagas it owns. */
export interface Drives {
  /** The outcome of this replica's drive of the saga, if it drives it. */
  outcomeOf(sagaId: string): Promise<Outcome> | undefined;
  /** Drives a saga this replica has just taken over. */
  drive(saga: Saga): Promise<Outcome>;
  /** Checks the order out again: used when a saga's finished record outlived its TTL. */
  checkout(orderId: string): Promise<Outcome>;
  /** True once the replica is closing: it takes nothing over any more. */
  closed(): boolean;
}

export interface RecoveryDeps {
  store: OrderStore;
  owner: string;
  timing: SagaTiming;
  log: Log;
  retryStoreStep: RetryStoreStep;
  drives: Drives;
  /** Counts takeovers (saga_takeovers_total). */
  metrics?: Metrics | undefined;
}

export interface Recovery {
  /** Waits for a saga driven elsewhere, taking it over if its owner's lease expires. */
  awaitOutcome(sagaId: string, orderId: string): Promise<Outcome>;
  /** Takes over and finishes sagas whose owner's lease expired; answers how many it claimed. */
  sweep(): Promise<number>;
}

export function createRecovery(deps: RecoveryDeps): Recovery {
  const { store, owner, timing, log, retryStoreStep, drives, metrics } = deps;

  async function awaitOutcome(sagaId: string, orderId: string): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      const local = drives.outcomeOf(sagaId);
      if (local && !drives.closed()) return local;
      const saga = await retryStoreStep('find saga', () => store.findSaga(sagaId), {
        saga_id: sagaId,
        order_id: orderId,
      });
      // A finished record outlived its TTL: the order itself tells the outcome.
      if (saga === undefined) return drives.checkout(orderId);
      if (saga.state === 'COMMITTED') return OK;
      if (saga.state === 'ABORTED') return refused(saga.reason ?? 'checkout_timeout');
      const now = Date.now();
      if (saga.leaseUntil < now && !drives.closed()) {
        const ids = { saga_id: sagaId, order_id: orderId };
        const taken = await retryStoreStep(
          'take over',
          () => store.takeOver(sagaId, owner, now, now + timing.leaseMs, ownerLine(owner, now)),
          ids,
        );
        if (taken) {
          metrics?.saga.takenOver('request');
          log.info({ saga_id: sagaId, order_id: orderId, epoch: taken.epoch }, 'took over saga');
          return drives.drive(taken);
        }
      }
      await sleep(backoff(attempt, POLL_BACKOFF));
    }
  }

  async function sweep(): Promise<number> {
    if (drives.closed()) return 0;
    const now = Date.now();
    const ids = await store.expiredSagas(now, SWEEP_BATCH);
    let claimed = 0;
    for (const id of ids) {
      if (drives.outcomeOf(id)) continue;
      const taken = await store.takeOver(id, owner, now, now + timing.leaseMs, ownerLine(owner, now));
      if (!taken) continue;
      claimed++;
      metrics?.saga.takenOver('sweeper');
      log.info({ saga_id: id, order_id: taken.orderId, epoch: taken.epoch }, 'sweeper took over saga');
      drives
        .drive(taken)
        .catch((error: unknown) =>
          log.error({ err: error, saga_id: id, order_id: taken.orderId }, 'recovered saga failed'),
        );
    }
    return claimed;
  }

  return { awaitOutcome, sweep };
}

/** Runs `sweep` every `sweepMs` (one round at a time) until the returned stop is called. */
export function startSweeper(checkout: Pick<Recovery, 'sweep'>, sweepMs: number, log: Log): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    checkout
      .sweep()
      .catch((error: unknown) => log.warn({ err: error }, 'sweep failed; next round retries'))
      .finally(() => {
        running = false;
      });
  }, sweepMs);
  timer.unref();
  return () => clearInterval(timer);
}
