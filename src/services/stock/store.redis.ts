/**
 * The stock store on Redis: one Lua script per state change (lua/*.lua, each documenting its
 * KEYS, ARGV and replies), keys from keys.ts, and the durability barrier (a shared WAIT) after
 * every mutation before it resolves. Rules: docs/store-semantics.md, checked by
 * test/conformance.
 *
 * ioredis may re-send a command whose reply a broken connection swallowed, callers retry
 * ambiguous errors, and `durably` runs a write again when the connection broke before its
 * WAIT: so every script is safe to run twice. reserve/release are idempotent per saga,
 * createItem is set-if-absent (once per client op id with one), and add/subtract record their outcome under the client's op id,
 * or else under a random call id made here (once per call, shared by its re-runs).
 */
import { aggregate, encodeItems } from '../../lib/items.js';
import { outcomeOf } from '../../lib/outcome.js';
import { closeRedis, durably, type Redis, type RedisStoreOptions } from '../../lib/redis.js';
import {
  BATCH_CHUNK,
  CALL_RECORD_TTL_MS,
  callId,
  createdOf,
  defineScripts,
  statusOf,
} from '../../lib/redis-scripts.js';
import { stockKeys } from './keys.js';
import type { Item, StockStore } from './store.js';

const SCRIPTS = ['create_item', 'add', 'subtract', 'batch_init', 'reserve', 'release'] as const;

/** The store owns `redis` from now on: `close()` closes it. */
export function createRedisStockStore(redis: Redis, options: RedisStoreOptions): StockStore {
  const { recordTtlMs, durable } = options;
  const keys = stockKeys(options.prefix);
  const lua = defineScripts(redis, new URL('./lua/', import.meta.url), 'stock', SCRIPTS, options.metrics);

  /** The record key of an add/subtract: the client's op id, or a fresh id for this call. */
  const recordOf = (opId: string | undefined): [key: string, ttlMs: number] =>
    opId === undefined ? [keys.call(callId()), CALL_RECORD_TTL_MS] : [keys.op(opId), recordTtlMs];

  async function adjust(
    script: 'add' | 'subtract',
    itemId: string,
    amount: number,
    opId?: string,
    fingerprint = '',
  ) {
    const [record, ttlMs] = recordOf(opId);
    const run = () => lua[script]([keys.item(itemId), record], [String(amount), ttlMs, fingerprint]);
    return outcomeOf(statusOf(await durably(durable, run)));
  }

  return {
    async createItem(itemId, price, opId, fingerprint = '') {
      const record = opId === undefined ? [] : [keys.op(opId)];
      const args = [itemId, recordTtlMs, fingerprint, String(price)];
      return createdOf(await durably(durable, () => lua.create_item([keys.item(itemId), ...record], args)));
    },

    async findItem(itemId): Promise<Item | undefined> {
      const [stock, price] = await redis.hmget(keys.item(itemId), 'stock', 'price');
      if (stock == null || price == null) return undefined;
      return { stock: Number(stock), price: Number(price) };
    },

    add: (itemId, amount, opId, fingerprint) => adjust('add', itemId, amount, opId, fingerprint),
    subtract: (itemId, amount, opId, fingerprint) => adjust('subtract', itemId, amount, opId, fingerprint),

    async batchInit(n, startingStock, price) {
      const args = [String(startingStock), String(price)];
      const chunks: string[][] = [];
      for (let start = 0; start < n; start += BATCH_CHUNK) {
        const chunkKeys: string[] = [];
        for (let i = start; i < Math.min(n, start + BATCH_CHUNK); i++) chunkKeys.push(keys.item(String(i)));
        chunks.push(chunkKeys);
      }
      // Sent together (auto-pipelined); Redis runs them one after the other, serving other
      // clients in between.
      await durably(durable, () => Promise.all(chunks.map((chunkKeys) => lua.batch_init(chunkKeys, args))));
    },

    async reserve(sagaId, orderId, requested) {
      // Lines name distinct items by contract; summing them anyway means a caller's slip
      // cannot take more than the stock (each line checked alone), and the record is exact.
      const lines = aggregate(requested);
      const stepKeys = [keys.saga(sagaId), keys.effect(orderId), ...lines.map(([id]) => keys.item(id))];
      const args = [
        String(recordTtlMs),
        sagaId,
        orderId,
        encodeItems(lines),
        keys.item(''),
        keys.saga(''),
        ...lines.map(([, quantity]) => String(quantity)),
      ];
      return outcomeOf(statusOf(await durably(durable, () => lua.reserve(stepKeys, args))));
    },

    async release(sagaId) {
      const args = [String(recordTtlMs), sagaId, keys.item(''), keys.effect('')];
      statusOf(await durably(durable, () => lua.release([keys.saga(sagaId)], args)));
    },

    async sagaRecord(sagaId) {
      // 'applied' records carry what was taken after a space: the status is the first word.
      return (await redis.get(keys.saga(sagaId)))?.split(' ')[0];
    },

    close: () => closeRedis(redis),
  };
}
