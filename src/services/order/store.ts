/**
 * What the order service needs from its storage: orders, and the saga records that make
 * checkout recoverable. Two implementations (Redis, SQLite), one conformance suite.
 * Every method is one atomic step; every saga transition checks state and epoch, so an
 * owner that lost its lease cannot write (ARCHITECTURE §3.4).
 */
import type { ItemLine } from '../../lib/items.js';
import type { Outcome, Reason } from '../../lib/outcome.js';

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
}

export type StuckCounts = Record<'RUNNING' | 'ABORTING', number>;

export interface NewSaga {
  sagaId: string;
  owner: string;
  leaseUntil: number;
  deadline: number;
}

export type Begin =
  | { kind: 'not_found' }
  | { kind: 'paid' }
  /** A checkout of this order is running: join it. */
  | { kind: 'running'; sagaId: string }
  /** The order is frozen and this saga was created for it, RUNNING at epoch 1. */
  | { kind: 'started'; saga: Saga };

export interface NewOrder {
  orderId: string;
  userId: string;
  items: ItemLine[];
  totalCost: number;
}

export interface OrderStore {
  createOrder(orderId: string, userId: string): Promise<void>;
  findOrder(orderId: string): Promise<Order | undefined>;
  /**
   * Appends a line and adds quantity × price. `opId` (the client's Idempotency-Key) makes a
   * repeat return the first outcome unapplied. Refusals: order_not_found, order_paid,
   * checkout_running, overflow.
   */
  addItem(orderId: string, itemId: string, quantity: number, price: number, opId?: string): Promise<Outcome>;
  /** Writes (or replaces) whole orders. */
  putOrders(orders: readonly NewOrder[]): Promise<void>;
  beginCheckout(orderId: string, saga: NewSaga): Promise<Begin>;
  findSaga(sagaId: string): Promise<Saga | undefined>;
  /**
   * CAS of a saga's state at the given epoch. To COMMITTED also marks the order paid; to
   * COMMITTED or ABORTED unfreezes the order and ends the lease. False when fenced off.
   */
  transition(saga: Saga, to: SagaState, reason?: Reason): Promise<boolean>;
  /** Extends the lease if the epoch is still current and the saga unfinished. */
  renewLease(sagaId: string, epoch: number, leaseUntil: number): Promise<boolean>;
  /** Claims an unfinished saga whose lease expired before `now`: epoch + 1, new owner. */
  takeOver(sagaId: string, owner: string, now: number, leaseUntil: number): Promise<Saga | undefined>;
  /** Ids of unfinished sagas whose lease expired before `now`, oldest first. */
  expiredSagas(now: number, limit: number): Promise<string[]>;
  /**
   * Unfinished sagas whose deadline passed before `now`, by state, among at most `limit`
   * unfinished sagas: the `sagas_stuck` gauge asks at every scrape, so its cost is bounded.
   */
  countStuck(now: number, limit: number): Promise<StuckCounts>;
  close(): Promise<void>;
}
