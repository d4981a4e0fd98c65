/**
 * The one way this code base waits before trying again: exponential back-off with jitter.
 *
 * Jitter: after an outage (a broker restart, a Redis failover) every saga that was
 * compensating, every consumer that was redelivering and every client that was reconnecting
 * failed at the same moment; with plain exponential back-off they would all retry at the same
 * moments again, in lockstep, and hit the recovering dependency as one wave each time. So the
 * n-th pause is drawn uniformly from [d/2, d], d = min(maxMs, baseMs * 2^n) ("equal jitter"
 * in the AWS Architecture Blog's "Exponential Backoff And Jitter"). Unlike full jitter
 * ([0, d]) it keeps a floor of d/2 between tries, so a retried command or store call never
 * follows its predecessor at once, and no pause is longer than it was without jitter.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Backoff {
  /** The un-jittered pause before the second try; it doubles per try. */
  baseMs: number;
  /** The un-jittered pause stops doubling here. */
  maxMs: number;
}

/** The pause after try `attempt` (0 = the first try failed): uniform in [d/2, d]. */
export function backoff(
  attempt: number,
  { baseMs, maxMs }: Backoff,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

export interface RetryOptions<T> extends Backoff {
  /** At most this many tries in all (default: unbounded). */
  attempts?: number;
  /** No new try starts once this long has passed since the first (default: unbounded). */
  giveUpAfterMs?: number;
  /** An error this answers false for is thrown at once (default: every error is retried). */
  retryable?: (error: unknown) => boolean;
  /** A result this answers true for is tried again; the last try's result is returned as is. */
  again?: (result: T) => boolean;
  /** Called before each pause, e.g. to log the failure. */
  onRetry?: (failure: { attempt: number; delayMs: number; error?: unknown }) => void;
}

/**
 * Runs `run` until it succeeds (resolves with a result `again` does not reject), with a
 * jittered back-off pause between tries. When the tries or the time are used up, the last
 * error is thrown, or the last result returned.
 */
export async function retry<T>(run: (attempt: number) => Promise<T>, options: RetryOptions<T>): Promise<T> {
  const { attempts = Infinity, giveUpAfterMs = Infinity, retryable = () => true, again, onRetry } = options;
  const giveUpAt = Date.now() + giveUpAfterMs;
  const spent = (attempt: number): boolean => attempt + 1 >= attempts || Date.now() >= giveUpAt;
  for (let attempt = 0; ; attempt++) {
    let failure: { error: unknown } | undefined;
    try {
      const result = await run(attempt);
      if (again === undefined || !again(result) || spent(attempt)) return result;
    } catch (error) {
      if (!retryable(error) || spent(attempt)) throw error;
      failure = { error };
    }
    const delayMs = backoff(attempt, options);
    onRetry?.({ attempt, delayMs, ...failure });
    await sleep(delayMs);
  }
}

/**
 * Polls `check` every `everyMs` until it is true or `timeoutMs` passed; answers the last
 * result. For waiting on a local process to come up, not for retrying a failed call.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
