/**
 * Expected outcomes are values, not exceptions (docs/architecture.md). Every refusal a client can
 * cause has a reason here; `errors.ts` maps each to an HTTP status and message.
 */
export type Reason =
  | 'order_not_found'
  | 'item_not_found'
  | 'user_not_found'
  | 'insufficient_stock'
  | 'insufficient_credit'
  | 'order_paid'
  | 'checkout_running'
  | 'overflow'
  | 'order_too_large'
  | 'idempotency_key_reused'
  | 'compensated'
  | 'checkout_timeout'
  /** An operator cancelled the checkout (POST /admin/sagas/{order_id}/cancel). */
  | 'operator';

export type Outcome = { ok: true } | { ok: false; reason: Reason };

export const OK: Outcome = Object.freeze({ ok: true });

/**
 * What a create answers: the id of the entity, which is the one first made for the same
 * Idempotency-Key (and request) if there was one, or a refusal (idempotency_key_reused).
 */
export type Created = { ok: true; id: string } | { ok: false; reason: Reason };

export function refused(reason: Reason): Outcome {
  return { ok: false, reason };
}

const REASONS: ReadonlySet<string> = new Set<Reason>([
  'order_not_found',
  'item_not_found',
  'user_not_found',
  'insufficient_stock',
  'insufficient_credit',
  'order_paid',
  'checkout_running',
  'overflow',
  'order_too_large',
  'idempotency_key_reused',
  'compensated',
  'checkout_timeout',
  'operator',
]);

export function isReason(value: unknown): value is Reason {
  return typeof value === 'string' && REASONS.has(value);
}

/** Parses the `ok` / reason strings that Lua scripts and SQL statements return. */
export function outcomeOf(status: string): Outcome {
  if (status === 'ok') return OK;
  if (isReason(status)) return refused(status);
  throw new Error(`store returned an unknown status: ${status}`);
}

/** The largest amount we accept or let any balance reach: beyond it doubles lose integers. */
export const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;
