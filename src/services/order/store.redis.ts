/**
 * The order store on Redis: orders and the saga records that make checkout recoverable. One
 * Lua script per state change (lua/*.lua, each documenting its KEYS, ARGV and replies), keys
 * from keys.ts, and the durability barrier (a shared WAIT) after every mutation before it
 * resolves. Rules: docs/store-semantics.md, checked by test/conformance.
 *
 * ioredis may re-send a command whose reply a broken connection swallowed, callers retry
 * ambiguous errors, and `durably` runs a write again when the connection broke before its
 * WAIT: so every write is safe to run twice. createOrder is set-if-absent (once per client op id with one), beginCheckout
 * recognises its own saga id, transition/renewLease/takeOver are CAS that recognise their own
 * resend, and addItem records its outcome under the client's op id or a random call id (src/lib/redis-records.ts).
 *
 * Order hash: user, items (encoded, src/lib/items.ts), total, paid ('1' once paid), saga (the
 * saga freezing it), sagas (its last saga ids, for operators). Absent items/total/paid read as
 * empty/0/false, so createOrder is a single HSETNX (create_order.lua). Saga hash: order, user, items, amount, state,
 * epoch, owner, lease, deadline, reason, started, journal (journal.ts).
 */
import { DEFAULT_ORDER_LIMITS, type OrderLimits } from '../../lib/config.js';
import { decodeItems, encodeItems, encodeLine } from '../../lib/items.js';
import { MAX_AMOUNT } from '../../lib/outcome.js';
import { closeRedis, durably, type Redis, type RedisStoreOptions } from '../../lib/redis.js';
import { opRecords } from '../../lib/redis-records.js';
import { BATCH_CHUNK, defineScripts } from '../../lib/redis-scripts.js';
import { orderKeys } from './keys.js';
import { fieldsOf, listRedisSagas, redisSagasOfOrder, sagaOf } from './records.redis.js';
import type { Begin, Cancel, Order, OrderStore, StuckCounts } from './store.js';

const SCRIPTS = [
  'create_order',
  'add_item',
  'put_orders',
  'begin_checkout',
  'transition',
  'renew_lease',
  'take_over',
  'cancel_saga',
] as const;

const ALLOWED: ReadonlySet<string> = new Set(['RUNNING>COMMITTED', 'RUNNING>ABORTING', 'ABORTING>ABORTED']);

/** Orders per put_orders script: each carries three values, so fewer than items per chunk. */
const ORDER_CHUNK = Math.floor(BATCH_CHUNK / 2);

/** qty × price exactly, or undefined beyond MAX_AMOUNT (where doubles stop being exact). */
function lineCost(quantity: number, price: number): string | undefined {
  const cost = BigInt(quantity) * BigInt(price);
  return cost > BigInt(MAX_AMOUNT) ? undefined : cost.toString();
}

/** The reply of begin_checkout.lua as a Begin. */
function beginOf(sagaId: string, reply: unknown): Begin {
  const [kind, ...rest] = Array.isArray(reply) ? (reply as unknown[]) : [];
  switch (kind) {
    case 'not_found':
      return { kind: 'not_found' };
    case 'paid':
      return { kind: 'paid' };
    case 'running':
      return { kind: 'running', sagaId: String(rest[0]) };
    case 'started':
      return { kind: 'started', saga: sagaOf(sagaId, fieldsOf(rest)) };
    case 'idempotency_key_reused':
      return { kind: 'key_reused' };
    default:
      throw new Error(`begin_checkout returned ${JSON.stringify(reply)}`);
  }
}

/**
 * The store owns `redis` from now on: `close()` closes it. `limits` bound addItem (default
 * DEFAULT_ORDER_LIMITS).
 */
export function createRedisOrderStore(
  redis: Redis,
  options: RedisStoreOptions & { limits?: OrderLimits },
): OrderStore {
  const limits = options.limits ?? DEFAULT_ORDER_LIMITS;
  const { recordTtlMs, durable } = options;
  const keys = orderKeys(options.prefix);
  const lua = defineScripts(redis, new URL('./lua/', import.meta.url), 'order', SCRIPTS, options.metrics);

  const records = opRecords(keys, options);

  return {
    createOrder: (orderId, userId, opId, fingerprint) =>
      records.create(lua.create_order, keys.order(orderId), orderId, userId, opId, fingerprint),

    async findOrder(orderId): Promise<Order | undefined> {
      const fields = await redis.hgetall(keys.order(orderId));
      const userId = fields['user'];
      if (userId === undefined) return undefined;
      return {
        orderId,
        userId,
        paid: fields['paid'] === '1',
        items: decodeItems(fields['items'] ?? ''),
        totalCost: Number(fields['total'] ?? 0),
      };
    },

    async addItem(orderId, itemId, quantity, price, opId, fingerprint = '') {
      const line = encodeLine([itemId, quantity]);
      const cost = lineCost(quantity, price) ?? '';
      const { maxLines, maxQuantity } = limits;
      return records.change(
        (record, ttlMs) =>
          lua.add_item(
            [keys.order(orderId), record],
            [line, cost, ttlMs, String(quantity), String(maxLines), String(maxQuantity), fingerprint],
          ),
        opId,
      );
    },

    async putOrders(orders) {
      const chunks: [string[], string[]][] = [];
      for (let start = 0; start < orders.length; start += ORDER_CHUNK) {
        const chunkKeys: string[] = [];
        const args: string[] = [];
        for (const order of orders.slice(start, start + ORDER_CHUNK)) {
          chunkKeys.push(keys.order(order.orderId));
          args.push(order.userId, encodeItems(order.items), String(order.totalCost));
        }
        chunks.push([chunkKeys, args]);
      }
      await durably(durable, () =>
        Promise.all(chunks.map(([chunkKeys, args]) => lua.put_orders(chunkKeys, args))),
      );
    },

    async beginCheckout(orderId, saga, opId, fingerprint = ''): Promise<Begin> {
      const record = opId === undefined ? [] : [keys.op(opId)];
      const run = async () =>
        beginOf(
          saga.sagaId,
          await lua.begin_checkout(
            [keys.order(orderId), keys.saga(saga.sagaId), keys.leases(), ...record],
            [
              saga.sagaId,
              orderId,
              saga.owner,
              String(saga.leaseUntil),
              String(saga.deadline),
              saga.startedAt === undefined ? '' : String(saga.startedAt),
              saga.journal ?? '',
              String(recordTtlMs),
              fingerprint,
            ],
          ),
        );
      // Without a key only a start wrote: the answers to paid orders need no WAIT. With one,
      // every answer is replicated before it is given: it was bound, or is a replay of a
      // binding that must not be answered before a replica has it.
      const wrote = (begin: Begin): boolean => begin.kind === 'started' || opId !== undefined;
      return durably(durable, run, wrote);
    },

    async findSaga(sagaId) {
      const fields = await redis.hgetall(keys.saga(sagaId));
      if (fields['state'] === undefined) return undefined;
      return sagaOf(sagaId, new Map(Object.entries(fields)));
    },

    async transition(saga, to, reason, journal) {
      if (!ALLOWED.has(`${saga.state}>${to}`)) return false;
      if (to === 'ABORTING' && reason === undefined) throw new Error('a saga aborts with a reason');
      const run = () =>
        lua.transition(
          [keys.saga(saga.sagaId), keys.order(saga.orderId), keys.leases()],
          [saga.sagaId, saga.state, String(saga.epoch), to, reason ?? '', String(recordTtlMs), journal ?? ''],
        );
      // A re-run after a lost WAIT answers 1 again: the saga is already in state `to`.
      return (await durably(durable, run, (applied) => applied === 1)) === 1;
    },

    async renewLease(sagaId, epoch, leaseUntil) {
      const run = () =>
        lua.renew_lease([keys.saga(sagaId), keys.leases()], [sagaId, String(epoch), String(leaseUntil)]);
      return (await durably(durable, run, (renewed) => renewed === 1)) === 1;
    },

    async takeOver(sagaId, owner, now, leaseUntil, journal) {
      const run = async () => {
        const reply = await lua.take_over(
          [keys.saga(sagaId), keys.leases()],
          [sagaId, owner, String(now), String(leaseUntil), journal ?? ''],
        );
        return Array.isArray(reply) ? sagaOf(sagaId, fieldsOf(reply as unknown[])) : undefined;
      };
      // A re-run after a lost WAIT is recognised by the script as this very takeover.
      return durably(durable, run, (taken) => taken !== undefined);
    },

    async expiredSagas(now, limit) {
      // Exclusive bound: a lease ending exactly at `now` has not expired yet.
      return redis.zrangebyscore(keys.leases(), '-inf', `(${now}`, 'LIMIT', 0, limit);
    },

    async countStuck(now, limit) {
      const counts: StuckCounts = { RUNNING: 0, ABORTING: 0 };
      const ids = await redis.zrange(keys.leases(), '0', String(limit - 1));
      if (ids.length === 0) return counts;
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hmget(keys.saga(id), 'state', 'deadline');
      for (const [error, fields] of (await pipeline.exec()) ?? []) {
        if (error !== null || !Array.isArray(fields)) continue;
        const [state, deadline] = fields as (string | null)[];
        if ((state === 'RUNNING' || state === 'ABORTING') && Number(deadline) < now) counts[state] += 1;
      }
      return counts;
    },

    async cancelSaga(sagaId, owner, leaseUntil, journal): Promise<Cancel> {
      const run = async (): Promise<Cancel> => {
        const reply = await lua.cancel_saga(
          [keys.saga(sagaId), keys.leases()],
          [sagaId, owner, String(leaseUntil), journal],
        );
        const [kind, ...rest] = Array.isArray(reply) ? (reply as unknown[]) : [];
        if (kind === 'not_found') return { kind };
        if (kind === 'cancelled') return { kind, saga: sagaOf(sagaId, fieldsOf(rest)) };
        const state = sagaOf(sagaId, new Map([['state', String(rest[0])]])).state;
        return { kind: 'not_running', state };
      };
      // A re-run after a lost WAIT is recognised by the script as this very cancel.
      return durably(durable, run, (cancel) => cancel.kind === 'cancelled');
    },

    sagasOfOrder: (orderId) => redisSagasOfOrder(redis, keys, orderId),
    listSagas: (query) => listRedisSagas(redis, keys, query),

    close: () => closeRedis(redis),
  };
}
