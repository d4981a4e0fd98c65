/**
 * The checkout saga (ARCHITECTURE §3), orchestrated by whichever order replica owns it.
 *
 * Start: one atomic store step either answers at once (paid, unknown), joins the running saga
 * of the order, or creates a saga and freezes the order. Act: reserve and charge in parallel,
 * re-sent until answered or the deadline. Decide: CAS to COMMITTED (and paid) or to ABORTING.
 * Compensate: release and refund, re-sent until acknowledged, then ABORTED. Every transition
 * is a CAS at the owner's epoch, so an owner that lost its lease cannot write.
 */
import type { Bus, Commands, Participant, Reply } from '../../bus/bus.js';
import type { SagaTiming } from '../../lib/config.js';
import { aggregate } from '../../lib/items.js';
import type { Log } from '../../lib/log.js';
import { OK, refused, type Outcome } from '../../lib/outcome.js';
import { backoff, sleep } from '../../lib/time.js';
import { keepLease, type Lease } from './lease.js';
import { newSagaId } from './saga-id.js';
import type { OrderStore, Saga } from './store.js';

export interface CheckoutDeps {
  store: OrderStore;
  bus: Bus;
  /** This replica's id, written as the owner of the sagas it drives. */
  owner: string;
  timing: SagaTiming;
  log: Log;
}

export interface Checkout {
  /** Runs or joins the checkout of an order and answers its final outcome. */
  checkout(orderId: string): Promise<Outcome>;
  /** Takes over and finishes sagas whose owner's lease expired; answers how many it claimed. */
  sweep(): Promise<number>;
  /** Stops the sweeper and waits (bounded) for the sagas this replica drives. */
  close(drainMs?: number): Promise<void>;
}

/** A store call that failed for infrastructure reasons is retried this long before giving up. */
const STORE_RETRY_MS = 30_000;
const SWEEP_BATCH = 100;
/** How long one copy of a command listens for its reply when there is no nearer deadline. */
const MAX_LISTEN_MS = 60_000;

function sagaIdOf(command: Commands[Participant]): string | undefined {
  return 'sagaId' in command ? command.sagaId : undefined;
}

export function createCheckout(deps: CheckoutDeps): Checkout {
  const { store, bus, owner, timing, log } = deps;
  /** The drive of each saga this replica owns, at the epoch it owns it. */
  const driving = new Map<string, { epoch: number; outcome: Promise<Outcome> }>();
  let closed = false;

  /** Store steps are idempotent or CAS, so repeating one after an ambiguous failure is safe. */
  async function persist<T>(what: string, step: () => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + STORE_RETRY_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (Date.now() >= giveUpAt) throw error;
        log.warn({ err: error, step: what, attempt }, 'order store step failed; retrying');
        await sleep(backoff(attempt, 10, timing.retryMaxMs));
      }
    }
  }

  async function checkout(orderId: string): Promise<Outcome> {
    const now = Date.now();
    const begin = await persist('begin', () =>
      store.beginCheckout(orderId, {
        sagaId: newSagaId(),
        owner,
        leaseUntil: now + timing.leaseMs,
        deadline: now + timing.deadlineMs,
      }),
    );
    switch (begin.kind) {
      case 'not_found':
        return refused('order_not_found');
      case 'paid':
        return OK;
      case 'started':
        return run(begin.saga);
      case 'running':
        return awaitOutcome(begin.sagaId, orderId);
    }
  }

  /**
   * Drives a saga this replica owns; concurrent callers share the one drive. A drive at an
   * older epoch (this replica was fenced off, e.g. while paused, and then took the saga over
   * again) is stale: the new epoch gets a drive of its own.
   */
  function run(saga: Saga): Promise<Outcome> {
    const existing = driving.get(saga.sagaId);
    if (existing && existing.epoch >= saga.epoch) return existing.outcome;
    const entry = { epoch: saga.epoch, outcome: driveSaga(saga) };
    entry.outcome = entry.outcome.finally(() => release(saga.sagaId, entry.epoch));
    driving.set(saga.sagaId, entry);
    return entry.outcome;
  }

  function release(sagaId: string, epoch: number): void {
    if (driving.get(sagaId)?.epoch === epoch) driving.delete(sagaId);
  }

  /** This replica no longer owns the saga (fenced, or closing): wait for whoever does. */
  function handOff(saga: Saga): Promise<Outcome> {
    release(saga.sagaId, saga.epoch);
    return awaitOutcome(saga.sagaId, saga.orderId);
  }

  async function driveSaga(saga: Saga): Promise<Outcome> {
    const lease = keepLease(store, saga, timing.leaseMs, log);
    try {
      let current = saga;
      if (current.state === 'RUNNING') {
        const result =
          Date.now() >= current.deadline ? refused('checkout_timeout') : await act(current, lease);
        if (lease.lost || closed) return await handOff(current);
        if (result.ok) {
          const committed = await persist('commit', () => store.transition(current, 'COMMITTED'));
          if (committed) log.debug({ saga_id: current.sagaId, order_id: current.orderId }, 'saga committed');
          return committed ? OK : await handOff(current);
        }
        const reason = result.reason;
        const aborting = await persist('abort', () => store.transition(current, 'ABORTING', reason));
        if (!aborting) return await handOff(current);
        current = { ...current, state: 'ABORTING', reason };
      }
      if (current.state !== 'ABORTING') return await handOff(current);
      await compensate(current, lease);
      if (lease.lost || closed) return await handOff(current);
      const final = current;
      const aborted = await persist('aborted', () => store.transition(final, 'ABORTED'));
      log.debug({ saga_id: final.sagaId, order_id: final.orderId, reason: final.reason }, 'saga aborted');
      return aborted ? refused(final.reason ?? 'checkout_timeout') : await handOff(final);
    } finally {
      lease.stop();
    }
  }

  /** Reserve and charge in parallel; the first refusal (or the deadline) decides at once. */
  function act(saga: Saga, lease: Lease): Promise<Outcome> {
    return new Promise((resolve) => {
      let waiting = 2;
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
      const items = aggregate(saga.items);
      void untilAnswered('stock', { type: 'reserve', sagaId: saga.sagaId, items }, saga.deadline, stop).then(
        onReply,
      );
      void untilAnswered(
        'payment',
        { type: 'charge', sagaId: saga.sagaId, userId: saga.userId, amount: saga.amount },
        saga.deadline,
        stop,
      ).then(onReply);
    });
  }

  /**
   * Sends a command, and again every `attemptMs` (or on the compensation back-off) until one
   * copy is answered as `accept` wants. Every copy keeps listening until the deadline, so a
   * participant slower than `attemptMs` still gets its answer through. Undefined at the
   * deadline or when `stop` says so.
   */
  function untilAnswered<P extends Participant>(
    to: P,
    command: Commands[P],
    deadline: number,
    stop: () => boolean,
    accept: (reply: Reply) => boolean = () => true,
    pause: (attempt: number) => number = () => timing.attemptMs,
  ): Promise<Reply | undefined> {
    return new Promise((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (reply: Reply | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(reply);
      };
      const send = (attempt: number): void => {
        const left = deadline - Date.now();
        if (left <= 0 || stop()) return finish(undefined);
        void bus.request(to, command, Math.min(left, MAX_LISTEN_MS)).then((reply) => {
          if (reply === undefined) return;
          if (accept(reply)) finish(reply);
          else log.error({ saga_id: sagaIdOf(command), reply }, 'unexpected reply; re-sending');
        });
        timer = setTimeout(() => send(attempt + 1), Math.min(pause(attempt), left));
      };
      send(0);
    });
  }

  /** Release and refund, re-sent until both are acknowledged: a compensation is never dropped. */
  async function compensate(saga: Saga, lease: Lease): Promise<void> {
    const items = aggregate(saga.items);
    const stop = (): boolean => lease.lost || closed;
    const acked = (reply: Reply): boolean => reply.ok;
    const pause = (attempt: number): number => backoff(attempt, timing.attemptMs, timing.retryMaxMs);
    await Promise.all([
      untilAnswered('stock', { type: 'release', sagaId: saga.sagaId, items }, Infinity, stop, acked, pause),
      untilAnswered(
        'payment',
        { type: 'refund', sagaId: saga.sagaId, userId: saga.userId, amount: saga.amount },
        Infinity,
        stop,
        acked,
        pause,
      ),
    ]);
  }

  /**
   * Waits for a saga driven elsewhere to finish, polling its record; if its owner's lease
   * expires meanwhile, takes it over and drives it here (ARCHITECTURE §3.4).
   */
  async function awaitOutcome(sagaId: string, orderId: string): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      const local = driving.get(sagaId);
      if (local && !closed) return local.outcome;
      const saga = await persist('find saga', () => store.findSaga(sagaId));
      // A finished record outlived its TTL: the order itself tells the outcome.
      if (saga === undefined) return checkout(orderId);
      if (saga.state === 'COMMITTED') return OK;
      if (saga.state === 'ABORTED') return refused(saga.reason ?? 'checkout_timeout');
      const now = Date.now();
      if (saga.leaseUntil < now && !closed) {
        const taken = await persist('take over', () =>
          store.takeOver(sagaId, owner, now, now + timing.leaseMs),
        );
        if (taken) {
          log.info({ saga_id: sagaId, order_id: orderId, epoch: taken.epoch }, 'took over saga');
          return run(taken);
        }
      }
      await sleep(backoff(attempt, 2, 50));
    }
  }

  async function sweep(): Promise<number> {
    if (closed) return 0;
    const now = Date.now();
    const ids = await store.expiredSagas(now, SWEEP_BATCH);
    let claimed = 0;
    for (const id of ids) {
      if (driving.has(id)) continue;
      const taken = await store.takeOver(id, owner, now, now + timing.leaseMs);
      if (!taken) continue;
      claimed++;
      log.info({ saga_id: id, order_id: taken.orderId, epoch: taken.epoch }, 'sweeper took over saga');
      run(taken).catch((error: unknown) => log.error({ err: error, saga_id: id }, 'recovered saga failed'));
    }
    return claimed;
  }

  async function close(drainMs = 5000): Promise<void> {
    const inFlight = [...driving.values()].map((entry) => entry.outcome);
    await Promise.race([Promise.allSettled(inFlight), sleep(drainMs)]);
    closed = true;
  }

  return { checkout, sweep, close };
}
