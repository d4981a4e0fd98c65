/**
 * What the order service needs from its storage: orders, and the saga records that make
 * checkout recoverable. Two implementations (Redis, SQLite), one conformance suite.
 * Every method is one atomic step; every saga transition checks state and epoch, so an
 * owner that lost its lease cannot write (docs/architecture.md, saga step 5).
 */
import type { ItemLine } from '../../lib/items.js';
import type { Created, Outcome, Reason } from '../../lib/outcome.js';

export interface Order {
  orderId: string;
  userId: string;
  paid: boolean;
  items: ItemLine[];
  totalCost: number;
}

export type SagaState = 'RUNNING' | 'ABORTING' | 'COMMITTED' | 'ABORTED';

export interface Saga {
  sagaId: string;
  orderId: string;
  userId: string;
  /** The order's lines when checkout began, as stored (not aggregated). */
  items: ItemLine[];
  amount: number;
  state: SagaState;
  /** Grows by one at every takeover; a write with an older epoch is refused. */
  epoch: number;
  owner: string;
  leaseUntil: number;
  /** After this time a RUNNING saga aborts instead of waiting for participants. */
  deadline: number;
  /** Why it aborted, once ABORTING. */
  reason: Reason | undefined;
  /**
   * The order as the participants know it, for their one-effect-per-order guard: the id of the
   * order's first saga since the order was last written whole. batch_init rewrites orders
   * "0".."n-1" under the same ids; to the participants each rewrite is a new order, so a charge
   * or reservation the previous order still holds is never given back into the re-initialised
   * users and items (that would invent credit and stock).
   */
  orderKey: string;
}

export type StuckCounts = Record<'RUNNING' | 'ABORTING', number>;

export interface NewSaga {
  sagaId: string;
  owner: string;
  leaseUntil: number;
  deadline: number;
  /** When checkout began (ms since the epoch), kept for operators (age, timeline). */
  startedAt?: number;
  /** The journal's first line (journal.ts), stored only if the saga is created. */
  journal?: string;
}

/** A saga as operators see it: the record plus what it went through (journal.ts). */
export interface SagaRecord extends Saga {
  /** Undefined for a saga begun without it (before the journal existed). */
  startedAt: number | undefined;
  /** The journal text as stored; read it with `readJournal`. */
  journal: string;
}

export interface SagaQuery {
  state?: SagaState;
  /** Only sagas started before this time (ms since the epoch); unknown start counts as 0. */
  startedBefore?: number;
  limit: number;
  /** From the previous page; undefined for the first. */
  cursor?: string;
}

/**
 * One page of sagas, in no promised order. Following `cursor` until it is undefined visits
 * every matching saga that existed throughout, once; a page may hold fewer than `limit` (even
 * none) while a cursor remains, because each call examines a bounded number of records.
 */
export interface SagaPage {
  sagas: SagaRecord[];
  cursor: string | undefined;
}

export type Cancel =
  | { kind: 'not_found' }
  /** Only a RUNNING saga can be cancelled; it is in this state. */
  | { kind: 'not_running'; state: SagaState }
  /** Now ABORTING with reason `operator`, at epoch + 1, owned by the canceller. */
  | { kind: 'cancelled'; saga: Saga };

export type Begin =
  | { kind: 'not_found' }
  | { kind: 'paid' }
  /** A checkout of this order is running: join it. */
  | { kind: 'running'; sagaId: string }
  /** The order is frozen and this saga was created for it, RUNNING at epoch 1. */
  | { kind: 'started'; saga: Saga }
  /** The Idempotency-Key was first used with another request; nothing changed. */
  | { kind: 'key_reused' };

export interface NewOrder {
  orderId: string;
  userId: string;
  items: ItemLine[];
  totalCost: number;
}

export interface OrderStore {
  /**
   * Makes an empty order `orderId` of `userId` unless it exists (a delayed resend never resets it). `opId` (the client's
   * Idempotency-Key) makes it once: a repeat of the same request (same `fingerprint`, method +
   * path) answers the id the first one made and makes nothing; the key on another request
   * answers idempotency_key_reused. Answers the id made (or first made).
   */
  createOrder(orderId: string, userId: string, opId?: string, fingerprint?: string): Promise<Created>;
  findOrder(orderId: string): Promise<Order | undefined>;
  /**
   * Appends a line and adds quantity × price. `opId` (the client's Idempotency-Key) makes a
   * repeat return the first outcome unapplied. Refusals: order_not_found, order_paid,
   * checkout_running, overflow, order_too_large (past the store's OrderLimits: lines, or
   * total quantity). The key is bound to `fingerprint` (method + path of its first request,
   * default ''): a repeat with another fingerprint answers idempotency_key_reused.
   */
  addItem(
    orderId: string,
    itemId: string,
    quantity: number,
    price: number,
    opId?: string,
    fingerprint?: string,
  ): Promise<Outcome>;
  /** Writes (or replaces) whole orders. */
  putOrders(orders: readonly NewOrder[]): Promise<void>;
  /**
   * Starts a checkout or says why not (paid, not_found, running: join it). `opId` (the
   * client's Idempotency-Key) is bound to `fingerprint` (method + path, default '') and to
   * what this first call answered, in the same atomic step: the saga it started or joined,
   * or paid / not_found. The same request again replays that answer (`running` with the
   * first saga, even once it finished and the order moved on), a resend of this very call
   * (same saga id) answers as without a key, the key on another request answers key_reused.
   * The binding lives as long as the other op records (recordTtlMs).
   */
  beginCheckout(orderId: string, saga: NewSaga, opId?: string, fingerprint?: string): Promise<Begin>;
  findSaga(sagaId: string): Promise<Saga | undefined>;
  /**
   * CAS of a saga's state at the given epoch. To COMMITTED also marks the order paid; to
   * COMMITTED or ABORTED unfreezes the order and ends the lease. False when fenced off.
   * `journal` is appended to the saga's journal when (and only when) this call applies.
   */
  transition(saga: Saga, to: SagaState, reason?: Reason, journal?: string): Promise<boolean>;
  /** Extends the lease if the epoch is still current and the saga unfinished. */
  renewLease(sagaId: string, epoch: number, leaseUntil: number): Promise<boolean>;
  /**
   * Claims an unfinished saga whose lease expired before `now`: epoch + 1, new owner, and
   * `journal` appended. An operator's retry passes now = MAX_SAFE_INTEGER: any lease counts.
   */
  takeOver(
    sagaId: string,
    owner: string,
    now: number,
    leaseUntil: number,
    journal?: string,
  ): Promise<Saga | undefined>;
  /**
   * An operator's cancel: a RUNNING saga becomes ABORTING with reason `operator` at epoch + 1,
   * owned by `owner` until `leaseUntil` (so its compensation is driven at once), `journal`
   * appended. Nothing else is changed; a saga in any other state is left alone.
   */
  cancelSaga(sagaId: string, owner: string, leaseUntil: number, journal: string): Promise<Cancel>;
  /** The order's sagas still remembered, newest first; undefined for an unknown order. */
  sagasOfOrder(orderId: string): Promise<SagaRecord[] | undefined>;
  /** Sagas by state and age, a page at a time; undefined when the cursor is not one of ours. */
  listSagas(query: SagaQuery): Promise<SagaPage | undefined>;
  /** Ids of unfinished sagas whose lease expired before `now`, oldest first. */
  expiredSagas(now: number, limit: number): Promise<string[]>;
  /**
   * Unfinished sagas whose deadline passed before `now`, by state, among at most `limit`
   * unfinished sagas: the `sagas_stuck` gauge asks at every scrape, so its cost is bounded.
   */
  countStuck(now: number, limit: number): Promise<StuckCounts>;
  close(): Promise<void>;
}
