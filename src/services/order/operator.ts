/**
 * What an operator may do to a checkout (POST /admin/sagas/{order_id}/retry and /cancel),
 * always through the saga's own fenced steps, so nothing an operator does can create money or
 * stock: there is no "mark committed".
 *
 * - retry: take the order's unfinished saga over now (epoch + 1, whatever its lease) and drive
 *   it here; its previous owner is fenced off and hands off at its next write.
 * - cancel: only while RUNNING, abort it with reason `operator` (epoch + 1, one atomic step)
 *   and drive its compensation here, which gives back exactly what the participants recorded
 *   as taken. A saga already deciding (ABORTING) or finished is left alone.
 */
import type { SagaTiming } from '../../lib/config.js';
import type { Log } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import type { Outcome } from '../../lib/outcome.js';
import { ownerLine, transitionLine, type StepRecord } from './journal.js';
import type { OrderStore, Saga, SagaState } from './store.js';

/** Any lease counts as expired for an operator's takeover. */
const ANY_LEASE = Number.MAX_SAFE_INTEGER;

export type OperatorResult =
  | { kind: 'order_not_found' }
  /** The order has no saga in a state the action applies to; `state` is its newest saga's. */
  | { kind: 'conflict'; state: SagaState | undefined }
  /** Taken over (retry) or cancelled, and now driven by this replica. */
  | { kind: 'done'; saga: Saga };

export interface Operator {
  retry(orderId: string): Promise<OperatorResult>;
  cancel(orderId: string): Promise<OperatorResult>;
}

export interface OperatorDeps {
  store: OrderStore;
  owner: string;
  timing: SagaTiming;
  log: Log;
  metrics?: Metrics | undefined;
  drives: { drive(saga: Saga): Promise<Outcome> };
  /** The steps this replica's drive of a saga has sent so far, if it drives it. */
  liveSteps: (sagaId: string) => readonly StepRecord[] | undefined;
}

export function createOperator(deps: OperatorDeps): Operator {
  const { store, owner, timing, log, metrics, drives, liveSteps } = deps;

  /** Drives the saga here in the background: the operator's request answers at once. */
  function driveHere(saga: Saga, action: string): OperatorResult {
    metrics?.saga.takenOver('operator');
    const ids = { saga_id: saga.sagaId, order_id: saga.orderId };
    log.info({ ...ids, epoch: saga.epoch, action }, 'operator took over saga');
    drives
      .drive(saga)
      .catch((error: unknown) => log.error({ ...ids, err: error }, 'saga driven for an operator failed'));
    return { kind: 'done', saga };
  }

  return {
    async retry(orderId) {
      const sagas = await store.sagasOfOrder(orderId);
      if (sagas === undefined) return { kind: 'order_not_found' };
      const unfinished = sagas.find((s) => s.state === 'RUNNING' || s.state === 'ABORTING');
      if (unfinished === undefined) return { kind: 'conflict', state: sagas[0]?.state };
      const now = Date.now();
      const journal = ownerLine(owner, now, true);
      const taken = await store.takeOver(unfinished.sagaId, owner, ANY_LEASE, now + timing.leaseMs, journal);
      // It finished between the read and the takeover.
      if (taken === undefined)
        return { kind: 'conflict', state: (await store.findSaga(unfinished.sagaId))?.state };
      return driveHere(taken, 'retry');
    },

    async cancel(orderId) {
      const sagas = await store.sagasOfOrder(orderId);
      if (sagas === undefined) return { kind: 'order_not_found' };
      const newest = sagas[0];
      if (newest?.state !== 'RUNNING') return { kind: 'conflict', state: newest?.state };
      const now = Date.now();
      // The act steps reach the journal if this replica drove them; another owner's are lost.
      const steps = liveSteps(newest.sagaId) ?? [];
      const journal = ownerLine(owner, now, true) + transitionLine('ABORTING', now, 'operator', steps);
      const cancel = await store.cancelSaga(newest.sagaId, owner, now + timing.leaseMs, journal);
      if (cancel.kind === 'not_found') return { kind: 'conflict', state: undefined };
      if (cancel.kind === 'not_running') return { kind: 'conflict', state: cancel.state };
      metrics?.saga.compensating('operator');
      return driveHere(cancel.saga, 'cancel');
    },
  };
}
