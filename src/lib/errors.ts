/**
 * The one place that says what every failure answers over HTTP (docs/architecture.md,
 * Conventions): refusals (a Reason, 4xx) and dependencies that stayed unavailable past a
 * bounded wait (503 with Retry-After). Anything else thrown is a bug: 500.
 */
import type { Reason } from './outcome.js';

/** The one table from refusal reasons to HTTP status and message. */
export const HTTP_ERRORS: Readonly<Record<Reason, { status: number; message: string }>> = {
  order_not_found: { status: 404, message: 'order not found' },
  item_not_found: { status: 404, message: 'item not found' },
  user_not_found: { status: 404, message: 'user not found' },
  insufficient_stock: { status: 400, message: 'insufficient stock' },
  insufficient_credit: { status: 400, message: 'insufficient credit' },
  order_paid: { status: 409, message: 'order is already paid' },
  checkout_running: { status: 409, message: 'a checkout of this order is running' },
  overflow: { status: 400, message: 'amount would exceed the largest supported value' },
  order_too_large: {
    status: 400,
    message: 'order is full: it may hold at most ORDER_MAX_LINES lines and ORDER_MAX_QUANTITY units',
  },
  idempotency_key_reused: {
    status: 422,
    message: 'idempotency_key_reused',
  },
  compensated: { status: 409, message: 'checkout was cancelled' },
  checkout_timeout: { status: 409, message: 'checkout did not complete in time; nothing was charged' },
  operator: { status: 409, message: 'checkout was cancelled by an operator; nothing was charged' },
};

/**
 * A dependency (store, its replicas, another service) stayed unavailable past a bounded wait.
 * The request may be sent again: with the same Idempotency-Key it applies at most once.
 */
export class Unavailable extends Error {
  constructor(
    message: string,
    /** Seconds a client should wait before sending the request again (Retry-After). */
    readonly retryAfterS = 1,
  ) {
    super(message);
    this.name = 'Unavailable';
  }
}

/**
 * Errors after which a Redis command may or may not have run: the connection went away with
 * it (seen in failovers here). Redis' own replies (script errors, NOREPLICAS, READONLY) are not among them.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message === 'Connection is closed.' ||
    error.message.startsWith('Command aborted due to connection close') ||
    error.message.startsWith("Stream isn't writeable")
  );
}

/**
 * Replies of Redis (by their first word) and codes of SQLite that mean the store cannot take
 * writes just now, with the message a client gets and when to try again. Each leaves the store
 * unchanged: a Lua script fails at its first write, before anything changed (Redis 7 runs
 * scripts without flags that way), and a SQLite transaction rolls back.
 */
const STORE_UNAVAILABLE: Readonly<Record<string, { message: string; retryAfterS: number }>> = {
  OOM: { message: 'store is out of memory; writes resume when memory frees', retryAfterS: 5 },
  NOREPLICAS: { message: 'store has too few replicas to accept writes', retryAfterS: 2 },
  READONLY: { message: 'store is failing over', retryAfterS: 2 },
  MASTERDOWN: { message: 'store is failing over', retryAfterS: 2 },
  LOADING: { message: 'store is loading its data', retryAfterS: 2 },
  BUSY: { message: 'store is busy', retryAfterS: 1 },
  TRYAGAIN: { message: 'store is busy', retryAfterS: 1 },
  SQLITE_BUSY: { message: 'store is busy', retryAfterS: 1 },
  SQLITE_LOCKED: { message: 'store is busy', retryAfterS: 1 },
  SQLITE_FULL: { message: 'store is out of disk space', retryAfterS: 5 },
  SQLITE_IOERR: { message: 'store cannot write to its disk', retryAfterS: 5 },
};

/**
 * What a thrown error answers when it is a dependency's unavailability rather than a bug:
 * message and Retry-After seconds, or undefined (a bug: 500).
 */
export function unavailableOf(error: unknown): { message: string; retryAfterS: number } | undefined {
  if (error instanceof Unavailable) return { message: error.message, retryAfterS: error.retryAfterS };
  if (!(error instanceof Error)) return undefined;
  if (isConnectionError(error)) return { message: 'store is unreachable', retryAfterS: 2 };
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  const sqlite = STORE_UNAVAILABLE[code.replace(/^(SQLITE_[A-Z]+).*$/, '$1')];
  if (code.startsWith('SQLITE_') && sqlite !== undefined) return sqlite;
  if (error.name === 'ReplyError') return STORE_UNAVAILABLE[error.message.split(' ', 1)[0] ?? ''];
  return undefined;
}
