/**
 * The wire format of the RabbitMQ bus. A command message is a JSON array of envelopes (one
 * message carries a whole batch); its reply is a JSON array aligned with it, `null` where a
 * command was not answered (it had expired). Both sides validate strictly: a consumer must
 * never apply a command it only half understands, so anything unexpected is a poison message.
 */
import { isReason } from '../lib/outcome.js';
import { TRACEPARENT } from '../lib/tracing.js';
import type { Commands, Envelope, Participant, Reply } from './bus.js';

export type Batch<P extends Participant> = Envelope<Commands[P]>[];

type Fields = Record<string, unknown>;

/** With tracing on, each envelope also carries its saga step's W3C traceparent. */
const TRACED_ENVELOPE = ['command', 'expiresAt', 'traceparent'] as const;

/** Ids come from routes (`[A-Za-z0-9_-]`) or UUIDs; the bound only stops absurd input. */
const MAX_ID_LENGTH = 256;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactly(value: Fields, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(value, key));
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function isItems(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every(
      (line: unknown) => Array.isArray(line) && line.length === 2 && isId(line[0]) && isCount(line[1], 1),
    )
  );
}

function isRecordQuery(value: Fields): boolean {
  return hasExactly(value, ['type', 'sagaId']) && isId(value['sagaId']);
}

function isStockCommand(value: Fields): boolean {
  switch (value['type']) {
    case 'reserve':
    case 'release':
      return (
        hasExactly(value, ['type', 'sagaId', 'orderId', 'items']) &&
        isId(value['sagaId']) &&
        isId(value['orderId']) &&
        isItems(value['items'])
      );
    case 'price':
      return hasExactly(value, ['type', 'itemId']) && isId(value['itemId']);
    case 'record':
      return isRecordQuery(value);
    default:
      return false;
  }
}

function isPaymentCommand(value: Fields): boolean {
  switch (value['type']) {
    case 'charge':
    case 'refund':
      // An amount of 0 is legal: it only checks that the user exists (payment store).
      return (
        hasExactly(value, ['type', 'sagaId', 'orderId', 'userId', 'amount']) &&
        isId(value['sagaId']) &&
        isId(value['orderId']) &&
        isId(value['userId']) &&
        isCount(value['amount'], 0)
      );
    case 'record':
      return isRecordQuery(value);
    default:
      return false;
  }
}

const COMMAND_CHECKS: { [P in Participant]: (value: Fields) => boolean } = {
  stock: isStockCommand,
  payment: isPaymentCommand,
};

export function encodeBatch<C>(envelopes: readonly Envelope<C>[]): Buffer {
  return Buffer.from(JSON.stringify(envelopes));
}

/** Parses a command message for `participant`; a string result says why it is malformed. */
export function decodeBatch<P extends Participant>(participant: P, content: Buffer): Batch<P> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return 'not a non-empty array of envelopes';
  const isCommand = COMMAND_CHECKS[participant];
  for (const [index, envelope] of parsed.entries()) {
    if (
      !isFields(envelope) ||
      !(hasExactly(envelope, ['command', 'expiresAt']) || hasExactly(envelope, TRACED_ENVELOPE))
    ) {
      return `envelope ${index} is not {command, expiresAt[, traceparent]}`;
    }
    if (
      'traceparent' in envelope &&
      !(typeof envelope['traceparent'] === 'string' && TRACEPARENT.test(envelope['traceparent']))
    ) {
      return `envelope ${index} has a malformed traceparent`;
    }
    if (typeof envelope['expiresAt'] !== 'number' || !Number.isFinite(envelope['expiresAt'])) {
      return `envelope ${index} has no numeric expiresAt`;
    }
    const command = envelope['command'];
    if (!isFields(command) || !isCommand(command))
      return `envelope ${index} holds no valid ${participant} command`;
  }
  // Every element was checked against the exact shape of Envelope<Commands[P]> above.
  return parsed as Batch<P>;
}

export function encodeReplies(replies: readonly (Reply | null)[]): Buffer {
  return Buffer.from(JSON.stringify(replies));
}

function toReply(value: unknown): Reply | null | undefined {
  if (value === null) return null;
  if (!isFields(value)) return undefined;
  if (value['ok'] === true) {
    if (hasExactly(value, ['ok'])) return { ok: true };
    const price = value['price'];
    if (hasExactly(value, ['ok', 'price']) && isCount(price, 0)) return { ok: true, price };
    const record = value['record'];
    if (hasExactly(value, ['ok', 'record']) && isId(record)) return { ok: true, record };
    return undefined;
  }
  const reason = value['reason'];
  if (value['ok'] === false && hasExactly(value, ['ok', 'reason']) && isReason(reason)) {
    return { ok: false, reason };
  }
  return undefined;
}

/** Parses a reply message to a batch of `size` commands; `undefined` if it is malformed. */
export function decodeReplies(content: Buffer, size: number): (Reply | null)[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== size) return undefined;
  const replies: (Reply | null)[] = [];
  for (const value of parsed) {
    const reply = toReply(value);
    if (reply === undefined) return undefined;
    replies.push(reply);
  }
  return replies;
}
