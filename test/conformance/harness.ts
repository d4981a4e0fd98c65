/**
 * What every store conformance suite shares: how a suite gets a fresh store, and the record
 * lifetimes it asks for.
 *
 * A suite receives `open: OpenStore<S>`. Each call must return a NEW, EMPTY store isolated
 * from every other one (SQLite: a ':memory:' database or a fresh temp file; Redis: a unique
 * key prefix), built with the given `recordTtlMs` (participant records, tombstones, op ids,
 * finished sagas). Suites close every store they open after each test, so `close()` must
 * release the connection and leave nothing running.
 */
import { afterEach } from 'vitest';

export interface StoreOptions {
  recordTtlMs: number;
}

export type OpenStore<S> = (options: StoreOptions) => Promise<S>;

/** Long enough that no record expires during a test. */
export const LONG_TTL_MS = 3_600_000;
/** Records in expiry tests live this long... */
export const SHORT_TTL_MS = 20;
/** ...and are looked at again after this long (Redis expires with ~1 ms precision). */
export const PAST_SHORT_TTL_MS = 60;

/**
 * Returns a function giving fresh stores (long record TTL unless told otherwise), each
 * closed after the test that opened it. Call it inside the suite's `describe`.
 */
export function freshStores<S extends { close(): Promise<void> }>(
  open: OpenStore<S>,
): (options?: StoreOptions) => Promise<S> {
  const opened: S[] = [];
  afterEach(async () => {
    const stores = opened.splice(0);
    await Promise.all(stores.map((store) => store.close()));
  });
  return async (options = { recordTtlMs: LONG_TTL_MS }) => {
    const store = await open(options);
    opened.push(store);
    return store;
  };
}
