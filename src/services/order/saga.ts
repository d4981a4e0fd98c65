/**
 * The checkout saga (docs/architecture.md), orchestrated by whichever order replica owns it.
 *
 * Start: one atomic store step either answers at once (paid, unknown), joins the running saga
 * of the order, or creates a saga and freezes the order. Act: every participant's action in
 * parallel, re-sent until answered or the deadline. Decide: CAS to COMMITTED (and paid) or to
 * ABORTING. Compensate: every participant's compensation, re-sent until acknowledged, then
 * ABORTED. Every transition is a CAS at the owner's epoch, so an owner that lost its lease
 * cannot write. A saga whose owner died is finished by recovery (recovery.ts).
 */
import type { Bus, Commands, Participant, Reply } from '../../bus/bus.js';
import type { SagaTiming } from '../../lib/config.js';
import { aggregate } from '../../lib/items.js';
import type { Log } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import { OK, refused, type Outcome, type Reason } from '../../lib/outcome.js';
import { backoff } from '../../lib/retry.js';
import { tracer, type SpanAttributes } from '../../lib/tracing.js';
import { createDrives } from './drives.js';
import { ownerLine, transitionLine, type StepRecord } from './journal.js';
import { createLeaseKeeper, type Lease } from './lease.js';
import { createOperator, type Operator } from './operator.js';
import { createRecovery } from './recovery.js';
import { sendUntilAnswered } from './resend.js';
import { newSagaId } from './saga-id.js';
import { stepSender } from './step-send.js';
import { storeStepRetrier, type RetryStoreStep } from './store-retry.js';
import type { OrderStore, Saga, SagaState } from './store.js';

/** A participant's part in the saga: the effect it applies, and the command that undoes it. */
interface SagaStep<P extends Participant = Participant> {
  participant: P;
  action: (saga: Saga) => Commands[P];
  compensation: (saga: Saga) => Commands[P];
}

/** Ties each step's commands to its participant's command type. */
function step<P extends Participant>(definition: SagaStep<P>): SagaStep {
  return definition;
}

/**
 * The saga's participants, in the order their commands are sent. Adding a participant is
 * adding its step here (and its commands to the bus): acting and compensating iterate this.
 */
const STEPS: readonly SagaStep[] = [
  step({
    participant: 'stock',
    action: ({ sagaId, orderKey, items }) => ({
      type: 'reserve',
      sagaId,
      orderId: orderKey,
      items: aggregate(items),
    }),
    compensation: ({ sagaId, orderKey, items }) => ({
      type: 'release',
      sagaId,
      orderId: orderKey,
      items: aggregate(items),
    }),
  }),
  step({
    participant: 'payment',
    action: ({ sagaId, orderKey, userId, amount }) => ({
      type: 'charge',
      sagaId,
      orderId: orderKey,
      userId,
      amount,
    }),
    compensation: ({ sagaId, orderKey, userId, amount }) => ({
      type: 'refund',
      sagaId,
      orderId: orderKey,
      userId,
      amount,
    }),
  }),
];

export interface CheckoutDeps {
  store: OrderStore;
  bus: Bus;
  /** This replica's id, written as the owner of the sagas it drives. */
  owner: string;
  timing: SagaTiming;
  log: Log;
  /** Where saga outcomes, step durations, takeovers and sagas in flight are counted. */
  metrics?: Metrics | undefined;
  /** How long a checkout's caller waits on a failing order store (default CHECKOUT_STORE_WAIT_MS). */
  storeWaitMs?: number;
}

export interface Checkout {
  /**
   * Runs or joins the checkout of an order and answers its final outcome. With `opId` (the
   * client's Idempotency-Key, bound to `fingerprint`, method + path) a repeat answers the
   * outcome of the first call's saga (store.ts, beginCheckout).
   */
  checkout(orderId: string, opId?: string, fingerprint?: string): Promise<Outcome>;
  /** Takes over and finishes sagas whose owner's lease expired; answers how many it claimed. */
  sweep(): Promise<number>;
  /** Stops the sweeper and waits (bounded) for the sagas this replica drives. */
  close(drainMs?: number): Promise<void>;
  /** What an operator may do: take a saga over now, or cancel it (operator.ts). */
  operator: Operator;
  /** The steps of the current phase of a saga this replica drives now, as far as they got. */
  liveSteps(sagaId: string): readonly StepRecord[] | undefined;
}

const sagaSpanEnd = (result: Outcome): SpanAttributes => ({
  'checkout.outcome': result.ok ? 'committed' : result.reason,
});

/** Unfinished sagas the stuck gauge looks at per scrape: bounds its cost on the store. */
const STUCK_SCAN_LIMIT = 1000;

export function createCheckout(deps: CheckoutDeps): Checkout {
  const { store, bus, owner, timing, log, metrics } = deps;
  const running = createDrives();
  let closed = false;
  const storeRetrier = storeStepRetrier(log, timing.retryMaxMs, deps.storeWaitMs);
  const retryStoreStep = storeRetrier.retry;
  const sendStep = stepSender(sendUntilAnswered(bus, timing.attemptMs, log), metrics);
  const leases = createLeaseKeeper(store, timing.leaseMs, log);
  const drives = {
    outcomeOf: running.outcomeOf,
    drive,
    checkout,
    closed: () => closed,
  };
  const recovery = createRecovery({ store, owner, timing, log, retryStoreStep, metrics, drives });
  const liveSteps = running.stepsOf;
  const operator = createOperator({ store, owner, timing, log, metrics, drives, liveSteps });
  deps.metrics?.saga.readInFlight(running.count);
  deps.metrics?.saga.readStuck(() => store.countStuck(Date.now(), STUCK_SCAN_LIMIT));

  async function checkout(orderId: string, opId?: string, fingerprint?: string): Promise<Outcome> {
    const now = Date.now();
    const begin = await retryStoreStep('begin', () =>
      store.beginCheckout(
        orderId,
        {
          sagaId: newSagaId(),
          owner,
          leaseUntil: now + timing.leaseMs,
          deadline: now + timing.deadlineMs,
          startedAt: now,
          journal: ownerLine(owner, now),
        },
        opId,
        fingerprint,
      ),
    );
    switch (begin.kind) {
      case 'key_reused':
        return refused('idempotency_key_reused');
      case 'not_found':
        return refused('order_not_found');
      case 'paid':
        return OK;
      case 'started':
        return drive(begin.saga);
      case 'running':
        return recovery.awaitOutcome(begin.sagaId, orderId);
    }
  }

  /** Drives a saga this replica owns, or joins its drive (drives.ts). */
  function drive(saga: Saga): Promise<Outcome> {
    // Without tracing, no span's attributes and callbacks are built for every saga.
    if (!tracer().enabled) return running.start(saga, (steps) => runSaga(saga, steps));
    return running.start(saga, (steps) =>
      tracer().inSpan(
        'saga',
        {
          'checkout.service': 'order',
          saga_id: saga.sagaId,
          order_id: saga.orderId,
          'saga.epoch': saga.epoch,
        },
        () => runSaga(saga, steps),
        { end: sagaSpanEnd },
      ),
    );
  }

  /** This replica no longer owns the saga (fenced, or closing): wait for whoever does. */
  function handOff(saga: Saga): Promise<Outcome> {
    running.forget(saga.sagaId, saga.epoch);
    return recovery.awaitOutcome(saga.sagaId, saga.orderId);
  }

  /**
   * Act, decide, and compensate if the decision was to abort. The steps' timings collect in
   * `steps` (kept in memory) and ride on the transition that ends their phase (journal.ts):
   * no store write exists for them alone.
   */
  async function runSaga(saga: Saga, steps: StepRecord[]): Promise<Outcome> {
    // Every line about this saga carries its ids (docs/architecture.md). One bindings object, not a
    // pino child: a child costs ~1.5 µs to make, and most sagas never log a line.
    const ids = { saga_id: saga.sagaId, order_id: saga.orderId };
    const lease = leases.keep(saga);
    const persist: RetryStoreStep = (what, step) => retryStoreStep(what, step, ids);
    /** The journal line of a transition, with the steps of the phase it ends; a new phase starts. */
    const ending = (to: SagaState, reason?: Reason): string =>
      transitionLine(to, Date.now(), reason, steps.splice(0));
    try {
      let current = saga;
      if (current.state === 'RUNNING') {
        const result =
          Date.now() >= current.deadline ? refused('checkout_timeout') : await act(current, lease, steps);
        if (lease.lost || closed) return await handOff(current);
        if (result.ok) {
          const line = ending('COMMITTED');
          const committed = await persist('commit', () =>
            store.transition(current, 'COMMITTED', undefined, line),
          );
          if (committed) {
            metrics?.saga.finished('committed', 'none', ageOf(current));
            log.debug(ids, 'saga committed');
          }
          return committed ? OK : await handOff(current);
        }
        const reason = result.reason;
        const line = ending('ABORTING', reason);
        const aborting = await persist('abort', () => store.transition(current, 'ABORTING', reason, line));
        if (!aborting) return await handOff(current);
        metrics?.saga.compensating(reason);
        current = { ...current, state: 'ABORTING', reason };
      }
      if (current.state !== 'ABORTING') return await handOff(current);
      await compensate(current, lease, steps);
      if (lease.lost || closed) return await handOff(current);
      const final = current;
      const line = ending('ABORTED');
      const aborted = await persist('aborted', () => store.transition(final, 'ABORTED', undefined, line));
      if (aborted) metrics?.saga.finished('aborted', final.reason ?? 'checkout_timeout', ageOf(final));
      log.debug({ ...ids, reason: final.reason }, 'saga aborted');
      return aborted ? refused(final.reason ?? 'checkout_timeout') : await handOff(final);
    } finally {
      lease.stop();
    }
  }

  /** Every action in parallel; the first refusal (or the deadline) decides at once. */
  function act(saga: Saga, lease: Lease, steps: StepRecord[]): Promise<Outcome> {
    return new Promise((resolve) => {
      let waiting = STEPS.length;
      let decided = false;
      const stop = (): boolean => decided || lease.lost || closed;
      const onReply = (reply: Reply | undefined): void => {
        if (decided) return;
        if (reply === undefined || !reply.ok) {
          decided = true;
          resolve(reply === undefined ? refused('checkout_timeout') : refused(reply.reason));
        } else if (--waiting === 0) {
          decided = true;
          resolve(OK);
        }
      };
      for (const { participant, action } of STEPS) {
        const command = action(saga);
        void sendStep(participant, command, saga.deadline, { stop }, steps).then(onReply);
      }
    });
  }

  /** Every compensation, re-sent until acknowledged: a compensation is never dropped. */
  async function compensate(saga: Saga, lease: Lease, steps: StepRecord[]): Promise<void> {
    const options = {
      stop: (): boolean => lease.lost || closed,
      accept: (reply: Reply): boolean => reply.ok,
      // Jittered, so that after an outage the compensations of many sagas do not re-send in step.
      pause: (attempt: number): number =>
        backoff(attempt, { baseMs: timing.attemptMs, maxMs: timing.retryMaxMs }),
    };
    await Promise.all(
      STEPS.map(({ participant, compensation }) => {
        const command = compensation(saga);
        return sendStep(participant, command, Infinity, options, steps);
      }),
    );
  }

  /** Seconds since the saga began (its deadline minus the deadline time), for the histogram. */
  function ageOf(saga: Saga): number {
    return (Date.now() - (saga.deadline - timing.deadlineMs)) / 1000;
  }

  async function close(drainMs = 5000): Promise<void> {
    await running.drain(drainMs);
    closed = true;
  }

  return {
    // The HTTP caller's wait on a failing store is bounded; the saga it began goes on.
    checkout: (orderId, opId, fingerprint) => storeRetrier.bounded(checkout(orderId, opId, fingerprint)),
    sweep: () => recovery.sweep(),
    close,
    operator,
    liveSteps,
  };
}
