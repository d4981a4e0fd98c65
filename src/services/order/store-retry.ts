/**
 * Order store steps are idempotent or compare-and-set, so one that failed for infrastructure
 * reasons (Redis failing over, a dropped connection) is simply run again, for a bounded time.
 */
import type { Log } from '../../lib/log.js';
import { retry } from '../../lib/retry.js';

/** A store step that keeps failing this long is given up: the error reaches the caller. */
const STORE_RETRY_MS = 30_000;

/**
 * Runs `step` until it succeeds or STORE_RETRY_MS have passed; `what` names it in the log, and
 * `about` (the saga and order ids) rides on every line.
 */
export type RetryStoreStep = <T>(what: string, step: () => Promise<T>, about?: object) => Promise<T>;

export function storeStepRetrier(log: Log, retryMaxMs: number): RetryStoreStep {
  return (what, step, about) =>
    retry(step, {
      baseMs: 10,
      maxMs: retryMaxMs,
      giveUpAfterMs: STORE_RETRY_MS,
      onRetry: ({ error, attempt }) =>
        log.warn({ ...about, err: error, step: what, attempt }, 'order store step failed; retrying'),
    });
}
