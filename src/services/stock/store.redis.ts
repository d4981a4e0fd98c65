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
 * or else under a random call id (once per call, shared by its re-runs: src/lib/redis-records.ts).
 */
import { aggregate, encodeItems } from '../../lib/items.js';
import { closeRedis, durably, type Redis, type RedisStoreOptions } from '../../lib/redis.js';
import { opRecords, sagaRecords } from '../../lib/redis-records.js';
import { BATCH_CHUNK, defineScripts } from '../../lib/redis-scripts.js';
import { stockKeys } from './keys.js';
import type { Item, StockStore } from './store.js';

const SCRIPTS = ['create_item', 'add', 'subtract', 'batch_init', 'reserve', 'release'] as const;

/** The store owns `redis` from now on: `close()` closes it. */
export function createRedisStockStore(redis: Redis, options: RedisStoreOptions): StockStore {
  const { durable } = options;
  const keys = stockKeys(options.prefix);
  const lua = defineScripts(redis, new URL('./lua/', import.meta.url), 'stock', SCRIPTS, options.metrics);

  const records = opRecords(keys, options);
  const sagas = sagaRecords(redis, keys, options);

  return {
    createItem: (itemId, price, opId, fingerprint) =>
      records.create(lua.create_item, keys.item(itemId), itemId, String(price), opId, fingerprint),

    async findItem(itemId): Promise<Item | undefined> {
      const [stock, price] = await redis.hmget(keys.item(itemId), 'stock', 'price');
      if (stock == null || price == null) return undefined;
      return { stock: Number(stock), price: Number(price) };
    },

    add: (id, amount, opId, fingerprint) => records.adjust(lua.add, keys.item(id), amount, opId, fingerprint),
    subtract: (id, amount, opId, fingerprint) =>
      records.adjust(lua.subtract, keys.item(id), amount, opId, fingerprint),

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
      const quantities = lines.map(([, quantity]) => String(quantity));
      const args = [encodeItems(lines), keys.item(''), keys.saga(''), ...quantities];
      return sagas.act(
        lua.reserve,
        sagaId,
        orderId,
        lines.map(([id]) => keys.item(id)),
        args,
      );
    },

    release: (sagaId) => sagas.compensate(lua.release, sagaId, keys.item('')),
    sagaRecord: (sagaId) => sagas.status(sagaId),

    close: () => closeRedis(redis),
  };
}
