/**
 * The payment store on Redis: one Lua script per state change (lua/*.lua, each documenting
 * its KEYS, ARGV and replies), keys from keys.ts, and the durability barrier (a shared WAIT)
 * after every mutation before it resolves. Rules: docs/store-semantics.md, checked by
 * test/conformance.
 *
 * ioredis may re-send a command whose reply a broken connection swallowed, callers retry
 * ambiguous errors, and `durably` runs a write again when the connection broke before its
 * WAIT: so every write is safe to run twice. charge/refund are idempotent per saga, createUser
 * is set-if-absent (once per client op id with one), and addFunds/pay record their outcome under the client's op id, or else
 * under a random call id (once per call, shared by its re-runs: src/lib/redis-records.ts).
 */
import { closeRedis, durably, type Redis, type RedisStoreOptions } from '../../lib/redis.js';
import { opRecords, sagaRecords } from '../../lib/redis-records.js';
import { BATCH_CHUNK, defineScripts } from '../../lib/redis-scripts.js';
import { paymentKeys } from './keys.js';
import type { PaymentStore } from './store.js';

const SCRIPTS = ['create_user', 'add_funds', 'pay', 'charge', 'refund'] as const;

/** The store owns `redis` from now on: `close()` closes it. */
export function createRedisPaymentStore(redis: Redis, options: RedisStoreOptions): PaymentStore {
  const { durable } = options;
  const keys = paymentKeys(options.prefix);
  const lua = defineScripts(redis, new URL('./lua/', import.meta.url), 'payment', SCRIPTS, options.metrics);

  const records = opRecords(keys, options);
  const sagas = sagaRecords(redis, keys, options);

  return {
    createUser: (userId, opId, fingerprint) =>
      records.create(lua.create_user, keys.user(userId), userId, '', opId, fingerprint),

    async findCredit(userId) {
      const credit = await redis.get(keys.user(userId));
      return credit === null ? undefined : Number(credit);
    },

    addFunds: (id, amount, opId, fingerprint) =>
      records.adjust(lua.add_funds, keys.user(id), amount, opId, fingerprint),
    pay: (id, amount, opId, fingerprint) => records.adjust(lua.pay, keys.user(id), amount, opId, fingerprint),

    async batchInit(n, startingMoney) {
      const money = String(startingMoney);
      const chunks: string[][] = [];
      for (let start = 0; start < n; start += BATCH_CHUNK) {
        const pairs: string[] = [];
        for (let i = start; i < Math.min(n, start + BATCH_CHUNK); i++)
          pairs.push(keys.user(String(i)), money);
        chunks.push(pairs);
      }
      // One atomic MSET per chunk, auto-pipelined; Redis serves other clients in between.
      await durably(durable, () => Promise.all(chunks.map((pairs) => redis.mset(pairs))));
    },

    charge: (sagaId, orderId, userId, amount) =>
      sagas.act(
        lua.charge,
        sagaId,
        orderId,
        [keys.user(userId)],
        [userId, String(amount), keys.user(''), keys.saga('')],
      ),

    refund: (sagaId) => sagas.compensate(lua.refund, sagaId, keys.user('')),
    sagaRecord: (sagaId) => sagas.status(sagaId),

    close: () => closeRedis(redis),
  };
}
