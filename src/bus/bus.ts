/**
 * The message bus between the order service (saga orchestrator) and the participants.
 * Two implementations: `local.ts` (in-process, for `npm start` and tests) and `rabbit.ts`.
 *
 * Delivery is at-least-once and unordered; a reply may be lost. Every command is therefore
 * idempotent by its saga id, and the orchestrator re-sends until it has an answer.
 */
import type { ItemLine } from '../lib/items.js';
import type { Reason } from '../lib/outcome.js';

/**
 * Saga commands name the order: a participant keeps at most one uncompensated effect per order
 * (docs/store-semantics.md). A compensation gives back what the act recorded, so release's
 * items and refund's user and amount only say what the orchestrator expects.
 */
export type StockCommand =
  | { type: 'reserve'; sagaId: string; orderId: string; items: ItemLine[] }
  | { type: 'release'; sagaId: string; orderId: string; items: ItemLine[] }
  | { type: 'price'; itemId: string }
  /** Read-only, for operators: what stock recorded for a saga (store.sagaRecord). */
  | { type: 'record'; sagaId: string };

export type PaymentCommand =
  | { type: 'charge'; sagaId: string; orderId: string; userId: string; amount: number }
  | { type: 'refund'; sagaId: string; orderId: string; userId: string; amount: number }
  /** Read-only, for operators: what payment recorded for a saga (store.sagaRecord). */
  | { type: 'record'; sagaId: string };

export interface Commands {
  stock: StockCommand;
  payment: PaymentCommand;
}

export type Participant = keyof Commands;

/**
 * What a participant answers. `price` is set only for the stock `price` query, `record` only
 * for a `record` query that found one.
 */
export type Reply = { ok: true; price?: number; record?: string } | { ok: false; reason: Reason };

/**
 * A command as it travels: with the time after which it must not be applied any more, and,
 * when tracing is on, the W3C traceparent of the saga step that sent it.
 */
export interface Envelope<C> {
  command: C;
  expiresAt: number;
  traceparent?: string;
}

/**
 * Handles a batch of live (unexpired) commands and answers each, in order. Batches let the
 * participant pipeline its scripts and pay for one durability barrier (Redis WAIT) per batch.
 * A handler that throws answers none of the batch: the commands are redelivered.
 */
export type Handler<C> = (
  commands: readonly C[],
  traceparents?: readonly (string | undefined)[],
) => Promise<Reply[]>;

/** The envelopes' traceparents for a handler, or undefined when none carries one (tracing off). */
export function traceparentsOf(
  envelopes: readonly { traceparent?: string | undefined }[],
): (string | undefined)[] | undefined {
  return envelopes.some((e) => e.traceparent !== undefined) ? envelopes.map((e) => e.traceparent) : undefined;
}

/** An envelope for `command`, with the active span's traceparent when tracing is on. */
export function envelopeOf<C>(command: C, expiresAt: number, traceparent: string | undefined): Envelope<C> {
  return traceparent === undefined ? { command, expiresAt } : { command, expiresAt, traceparent };
}

/**
 * Sends one command and waits up to `timeoutMs` for its reply. Resolves `undefined` when
 * no reply came in time: the command may or may not have been applied. One type, so that the
 * buses and their wrappers implement it as a plain `(to, command, timeoutMs) => ...`.
 */
export type BusRequest = <P extends Participant>(
  to: P,
  command: Commands[P],
  timeoutMs: number,
) => Promise<Reply | undefined>;

export interface Bus {
  request: BusRequest;
  /** Consumes the participant's commands until the bus is closed. */
  serve<P extends Participant>(participant: P, handler: Handler<Commands[P]>): Promise<void>;
  close(): Promise<void>;
}
