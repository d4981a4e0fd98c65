/**
 * The sweeper: every replica periodically claims sagas whose owner's lease expired and
 * finishes them, so no saga stays unfinished and nothing stays reserved (ARCHITECTURE §3.4).
 * A client's retried checkout joins and drives such a saga too; the sweeper covers the rest.
 */
import type { Log } from '../../lib/log.js';
import type { Checkout } from './saga.js';

export function startSweeper(checkout: Checkout, sweepMs: number, log: Log): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    checkout
      .sweep()
      .catch((error: unknown) => log.warn({ err: error }, 'sweep failed; next round retries'))
      .finally(() => {
        running = false;
      });
  }, sweepMs);
  timer.unref();
  return () => clearInterval(timer);
}
