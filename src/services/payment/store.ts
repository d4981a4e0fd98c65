/**
 * What the payment service needs from its storage. Two implementations, Redis
 * (`store.redis.ts`) and SQLite (`store.sqlite.ts`), proven alike by one conformance suite.
 * Every method is one atomic step.
 */
import type { Created, Outcome } from '../../lib/outcome.js';

export interface PaymentStore {
  /**
   * Makes user `userId` with credit 0 unless it exists (a delayed resend never resets it). `opId` (the client's
   * Idempotency-Key) makes it once: a repeat of the same request (same `fingerprint`, method +
   * path) answers the id the first one made and makes nothing; the key on another request
   * answers idempotency_key_reused. Answers the id made (or first made).
   */
  createUser(userId: string, opId?: string, fingerprint?: string): Promise<Created>;
  findCredit(userId: string): Promise<number | undefined>;
  /**
   * `opId` (the client's Idempotency-Key) makes a repeat return the first outcome unapplied;
   * the key is bound to `fingerprint` (method + path of its first request, default ''), and a
   * repeat with another fingerprint answers idempotency_key_reused, changing nothing.
   * Refusals: user_not_found, overflow, idempotency_key_reused.
   */
  addFunds(userId: string, amount: number, opId?: string, fingerprint?: string): Promise<Outcome>;
  /** Refusals: user_not_found, insufficient_credit, idempotency_key_reused. */
  pay(userId: string, amount: number, opId?: string, fingerprint?: string): Promise<Outcome>;
  /** Users "0".."n-1", replacing any with those ids. */
  batchInit(n: number, startingMoney: number): Promise<void>;
  /**
   * Takes `amount` once per saga: a repeat answers the recorded outcome; after `refund` of
   * the same saga it is a no-op answering `compensated`. An earlier saga of the same order
   * still holding a charge is refunded first: at most one per order (docs/store-semantics.md).
   * An amount of 0 only checks the user.
   * Refusals: user_not_found, insufficient_credit, compensated.
   */
  charge(sagaId: string, orderId: string, userId: string, amount: number): Promise<Outcome>;
  /**
   * Gives back what `charge` recorded for this saga (amount and user), once; if `charge`
   * never applied, leaves a tombstone so that a late `charge` does nothing. Always succeeds.
   */
  refund(sagaId: string): Promise<void>;
  /**
   * What this participant recorded for a saga, for operators: 'applied', a refusal reason,
   * 'released' or 'tombstone'; undefined if nothing (or forgotten after recordTtlMs).
   */
  sagaRecord(sagaId: string): Promise<string | undefined>;
  close(): Promise<void>;
}
