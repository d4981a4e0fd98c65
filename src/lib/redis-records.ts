/**
 * The records the Redis stores' writes leave, so that a write runs twice harmlessly (ioredis
 * re-sends a command whose reply a broken connection swallowed, `durably` runs a write again
 * when its WAIT was lost, callers retry): the op record of a change or create, kept under the
 * client's op id or a per-call id (services/lua-includes/op_record.lua), and the saga records
 * of the participants (services/lua-includes/saga_participant.lua).
 */
import { randomBytes } from 'node:crypto';
import { outcomeOf, type Created, type Outcome } from './outcome.js';
import { durably, type Redis, type RedisStoreOptions } from './redis.js';
import { statusOf, type Script } from './redis-scripts.js';

/**
 * How long the outcome of a mutating call without client op id is kept: as long as that very
 * command may still run again. ioredis holds an unanswered command through at most
 * `maxRetriesPerRequest` (20) reconnects of <= 0.5 s wait + 2 s connect timeout (~50 s), and
 * `durably` runs a write at most 3 times: ~150 s at worst. Every call leaves a ~100-byte key
 * for this long (20k calls/s -> ~400 MB), so not much longer.
 */
const CALL_RECORD_TTL_MS = 3 * 60_000;

/** 72 random bits per process: no two processes (or restarts) share a call id prefix. */
const CALL_ID_PREFIX = randomBytes(9).toString('base64url');
let calls = 0;

/**
 * A fresh id for one call's record: unique per process by a counter (no entropy per call),
 * across processes by a random prefix; short to keep the record small.
 */
function callId(): string {
  calls += 1;
  return `${CALL_ID_PREFIX}${calls.toString(36)}`;
}

/** Narrows the reply of a create script: `{'ok', id}` or `{reason}` (create_*.lua). */
function createdOf(reply: unknown): Created {
  const [status, id] = Array.isArray(reply) ? (reply as unknown[]) : [];
  if (status === 'ok' && typeof id === 'string') return { ok: true, id };
  const outcome = typeof status === 'string' ? outcomeOf(status) : undefined;
  if (outcome === undefined || outcome.ok) throw new Error(`create script returned ${JSON.stringify(reply)}`);
  return outcome;
}

/** Where a service keeps op records (its keys.ts). */
export interface RecordKeys {
  /** The record of a client operation (Idempotency-Key). */
  op(opId: string): string;
  /** The record of one call without client key. */
  call(callId: string): string;
}

type Options = Pick<RedisStoreOptions, 'recordTtlMs' | 'durable'>;

/** The writes of a store that leave an op record, each behind the durability barrier. */
export function opRecords(keys: RecordKeys, { recordTtlMs, durable }: Options) {
  const records = {
    /**
     * Runs a change script (add_funds, pay, add, subtract, add_item) with the KEYS and ARGV
     * `run` makes of its record key and TTL: the client's op id, remembered as long as saga
     * records, or else a fresh call id, remembered only while this very call may run again.
     */
    async change(run: (record: string, ttlMs: number) => Promise<unknown>, opId?: string): Promise<Outcome> {
      // Drawn once, outside `durably`: every re-run of this call finds the same record.
      const [record, ttlMs] =
        opId === undefined ? [keys.call(callId()), CALL_RECORD_TTL_MS] : [keys.op(opId), recordTtlMs];
      return outcomeOf(statusOf(await durably(durable, () => run(record, ttlMs))));
    },

    /**
     * Runs a create script (create_order, create_user, create_item) of `id` at `key`: KEYS
     * key and the op record when the client sent an op id, ARGV id, TTL, fingerprint, `extra`.
     */
    async create(script: Script, key: string, id: string, extra: string, opId?: string, fingerprint = '') {
      const record = opId === undefined ? [] : [keys.op(opId)];
      const args = [id, recordTtlMs, fingerprint, extra];
      return createdOf(await durably(durable, () => script([key, ...record], args)));
    },

    /** Runs add_funds, pay, add or subtract: KEYS the amount's key and record, ARGV amount, TTL, fingerprint. */
    adjust(script: Script, key: string, amount: number, opId?: string, fingerprint = ''): Promise<Outcome> {
      return records.change(
        (record, ttlMs) => script([key, record], [String(amount), ttlMs, fingerprint]),
        opId,
      );
    },
  };
  return records;
}

/** Where a participant keeps its saga records (its keys.ts). */
export interface SagaRecordKeys {
  /** The record of one saga: 'applied ...', a refusal reason, 'released' or 'tombstone'. */
  saga(sagaId: string): string;
  /** The id of the saga holding an order's uncompensated effect. */
  effect(orderId: string): string;
}

/** What the participants (stock, payment) do alike with their saga records. */
export function sagaRecords(redis: Redis, keys: SagaRecordKeys, { recordTtlMs, durable }: Options) {
  return {
    /**
     * Runs an act script (reserve, charge) of saga `sagaId` for order `orderId`: KEYS its record,
     * the order's effect index, `moreKeys`; ARGV TTL, saga id, order id, `moreArgs`.
     */
    async act(
      script: Script,
      sagaId: string,
      orderId: string,
      moreKeys: readonly string[],
      moreArgs: readonly string[],
    ): Promise<Outcome> {
      const stepKeys = [keys.saga(sagaId), keys.effect(orderId), ...moreKeys];
      const args = [String(recordTtlMs), sagaId, orderId, ...moreArgs];
      return outcomeOf(statusOf(await durably(durable, () => script(stepKeys, args))));
    },

    /** Runs a compensation script (release, refund); `takenPrefix` is the key of what it gives back, id ''. */
    async compensate(script: Script, sagaId: string, takenPrefix: string): Promise<void> {
      const args = [String(recordTtlMs), sagaId, takenPrefix, keys.effect('')];
      statusOf(await durably(durable, () => script([keys.saga(sagaId)], args)));
    },

    /** The status of a saga's record ('applied', a reason, 'released', 'tombstone'), if any. */
    async status(sagaId: string): Promise<string | undefined> {
      // 'applied' records carry what was taken after a space: the status is the first word.
      return (await redis.get(keys.saga(sagaId)))?.split(' ')[0];
    },
  };
}
