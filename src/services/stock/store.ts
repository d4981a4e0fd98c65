/**
 * What the stock service needs from its storage. Two implementations, Redis
 * (`store.redis.ts`) and SQLite (`store.sqlite.ts`), proven alike by one conformance suite.
 * Every method is one atomic step.
 */
import type { ItemLine } from '../../lib/items.js';
import type { Created, Outcome } from '../../lib/outcome.js';

export interface Item {
  stock: number;
  price: number;
}

export interface StockStore {
  /**
   * Makes item `itemId` with stock 0 unless it exists (a delayed resend never resets it). `opId` (the client's
   * Idempotency-Key) makes it once: a repeat of the same request (same `fingerprint`, method +
   * path) answers the id the first one made and makes nothing; the key on another request
   * answers idempotency_key_reused. Answers the id made (or first made).
   */
  createItem(itemId: string, price: number, opId?: string, fingerprint?: string): Promise<Created>;
  findItem(itemId: string): Promise<Item | undefined>;
  /**
   * `opId` (the client's Idempotency-Key) makes a repeat return the first outcome unapplied;
   * the key is bound to `fingerprint` (method + path of its first request, default ''), and a
   * repeat with another fingerprint answers idempotency_key_reused, changing nothing.
   * Refusals: item_not_found, overflow, idempotency_key_reused.
   */
  add(itemId: string, amount: number, opId?: string, fingerprint?: string): Promise<Outcome>;
  /** Refusals: item_not_found, insufficient_stock, idempotency_key_reused. */
  subtract(itemId: string, amount: number, opId?: string, fingerprint?: string): Promise<Outcome>;
  /** Items "0".."n-1", replacing any with those ids. */
  batchInit(n: number, startingStock: number, price: number): Promise<void>;
  /**
   * Takes every line's quantity, all or nothing, once per saga: a repeat answers the recorded
   * outcome; after `release` of the same saga it is a no-op answering `compensated`. An
   * earlier saga of the same order still holding a reservation is released first: at most one
   * per order (docs/store-semantics.md). Lines should name distinct items (they are summed).
   * Refusals: item_not_found, insufficient_stock, compensated.
   */
  reserve(sagaId: string, orderId: string, lines: readonly ItemLine[]): Promise<Outcome>;
  /**
   * Gives back what `reserve` recorded for this saga, once; if `reserve` never applied, leaves
   * a tombstone so that a late `reserve` does nothing. Always succeeds.
   */
  release(sagaId: string): Promise<void>;
  /**
   * What this participant recorded for a saga, for operators: 'applied', a refusal reason,
   * 'released' or 'tombstone'; undefined if nothing (or forgotten after recordTtlMs).
   */
  sagaRecord(sagaId: string): Promise<string | undefined>;
  close(): Promise<void>;
}
