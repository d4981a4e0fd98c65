/**
 * Order store steps are idempotent or compare-and-set, so one that failed for infrastructure
 * reasons (Redis failing over, a dropped connection) is simply run again, for a bounded time.
 *
 * The saga's own work keeps retrying (STORE_RETRY_MS, then recovery takes the saga over): a
 * saga that has begun is never abandoned half-done. Only the HTTP caller's wait is shorter
 * (`bounded`): once a store step has been failing or unanswered for CHECKOUT_STORE_WAIT_MS, the
 * caller gets the store's error (503 with Retry-After) while the work goes on behind it; a
 * repeat of the checkout (with its Idempotency-Key, or none) then answers the saga's outcome.
 */
import { Unavailable, unavailableOf } from '../../lib/errors.js';
import type { Log } from '../../lib/log.js';
import { retry } from '../../lib/retry.js';

/** A store step that keeps failing this long is given up: the error reaches the caller. */
const STORE_RETRY_MS = 30_000;

/** How long an HTTP checkout waits on an order store that fails or does not answer. */
export const CHECKOUT_STORE_WAIT_MS = 5_000;

/**
 * Runs `step` until it succeeds or STORE_RETRY_MS have passed; `what` names it in the log, and
 * `about` (the saga and order ids) rides on every line.
 */
export type RetryStoreStep = <T>(what: string, step: () => Promise<T>, about?: object) => Promise<T>;

export interface StoreRetrier {
  retry: RetryStoreStep;
  /**
   * What `waiting` answers, unless some store step has been failing or unanswered for the wait
   * bound meanwhile: then it rejects with that step's last error (or an Unavailable when it
   * has none a client can be told), and `waiting` goes on unobserved by the caller.
   */
  bounded<T>(waiting: Promise<T>): Promise<T>;
}

/** A store step in flight: since when, and the last error it failed with. */
interface Pending {
  since: number;
  error: unknown;
}

export function storeStepRetrier(
  log: Log,
  retryMaxMs: number,
  waitMs = CHECKOUT_STORE_WAIT_MS,
): StoreRetrier {
  // Insertion order is start order: the first entry is the oldest step in flight.
  const pending = new Set<Pending>();
  const waiters = new Set<(error: Error) => void>();
  let ticker: NodeJS.Timeout | undefined;

  function checkStalled(): void {
    const oldest = pending.values().next().value;
    if (oldest === undefined || Date.now() - oldest.since < waitMs) return;
    const error =
      oldest.error instanceof Error && unavailableOf(oldest.error) !== undefined
        ? oldest.error
        : new Unavailable(`order store did not complete a checkout step within ${waitMs} ms`, 2);
    for (const fail of [...waiters]) fail(error);
  }

  return {
    async retry(what, step, about) {
      const entry: Pending = { since: Date.now(), error: undefined };
      pending.add(entry);
      try {
        // The first try runs on its own: almost every step succeeds at once, and the retry
        // loop's options and closures would be made (and kept alive) for nothing.
        return await step();
      } catch (first) {
        // The loop counts that first failure as its try 0: the same pauses and log lines.
        const failed = first instanceof Error ? first : new Error(String(first));
        return await retry((attempt) => (attempt === 0 ? Promise.reject(failed) : step()), {
          baseMs: 10,
          maxMs: retryMaxMs,
          giveUpAfterMs: STORE_RETRY_MS - (Date.now() - entry.since),
          onRetry: ({ error, attempt }) => {
            entry.error = error;
            log.warn({ ...about, err: error, step: what, attempt }, 'order store step failed; retrying');
          },
        });
      } finally {
        pending.delete(entry);
      }
    },

    bounded(waiting) {
      return new Promise((resolve, reject) => {
        const settle = (): void => {
          waiters.delete(fail);
          if (waiters.size === 0 && ticker !== undefined) {
            clearInterval(ticker);
            ticker = undefined;
          }
        };
        const fail = (error: Error): void => {
          settle();
          reject(error);
        };
        waiters.add(fail);
        // One timer for every waiting caller, there only while someone waits.
        if (ticker === undefined) {
          ticker = setInterval(checkStalled, Math.max(10, Math.floor(waitMs / 10)));
          ticker.unref();
        }
        waiting.then(
          (value) => {
            settle();
            resolve(value);
          },
          (error: unknown) => {
            settle();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
    },
  };
}
