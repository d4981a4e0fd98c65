/**
 * The Redis stores against a real Redis: the shared conformance suites (the same ones the
 * SQLite stores pass), and commands re-sent as ioredis does after a reconnect. Uses the
 * machine's Redis at REDIS_URL, each store under a unique key prefix deleted afterwards; if
 * none answers, a private redis-server started here and stopped by its PID.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { OK } from '../../src/lib/outcome.js';
import { connectRedis, deleteByPrefix, type Redis } from '../../src/lib/redis.js';
import { createRedisOrderStore } from '../../src/services/order/store.redis.js';
import { createRedisPaymentStore } from '../../src/services/payment/store.redis.js';
import { createRedisStockStore } from '../../src/services/stock/store.redis.js';
import type { StoreOptions } from '../conformance/harness.js';
import { describeOrderStore } from '../conformance/order.js';
import { describePaymentStore } from '../conformance/payment.js';
import { describeStockStore } from '../conformance/stock.js';
import { redisProcesses, replyEatingProxy, testRedisUrl } from '../support/redis.js';

/** Every key this file writes starts with this, so afterAll can delete them all. */
const ROOT = `t:${randomUUID()}:`;
const processes = redisProcesses();
let url = '';
let admin: Redis;

beforeAll(async () => {
  url = await testRedisUrl(processes);
  admin = client();
});

afterAll(async () => {
  await deleteByPrefix(admin, ROOT);
  admin.disconnect();
  await processes.stopAll();
});

/** A client as the services build it (auto-pipelining, re-send after reconnect). */
function client(to = url): Redis {
  return connectRedis({ ...loadConfig().redis, url: to }, 'test', silentLog());
}

const noWait = (): Promise<void> => Promise.resolve();

function storeOptions({ recordTtlMs }: StoreOptions, service: string) {
  return { prefix: `${ROOT}${randomUUID()}:${service}:`, recordTtlMs, durable: noWait };
}

describeStockStore('redis', (options) =>
  Promise.resolve(createRedisStockStore(client(), storeOptions(options, 'stock'))),
);
describePaymentStore('redis', (options) =>
  Promise.resolve(createRedisPaymentStore(client(), storeOptions(options, 'payment'))),
);
describeOrderStore('redis', (options) =>
  Promise.resolve(createRedisOrderStore(client(), storeOptions(options, 'order'))),
);

type Method = (...args: unknown[]) => unknown;

/**
 * A client on which every call of the script commands `names` runs twice with the same
 * arguments, answering the second reply: what ioredis does when a connection breaks after
 * Redis ran a command but before its reply arrived.
 */
function resendingClient(...names: string[]): Redis {
  const redis = client();
  return new Proxy(redis, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !names.includes(property) || typeof value !== 'function')
        return value;
      const method = value as Method;
      return async (...args: unknown[]) => {
        await method.apply(target, args);
        return method.apply(target, args);
      };
    },
  });
}

describe('redis stores under re-sent commands', () => {
  const options = (service: string) => storeOptions({ recordTtlMs: 60_000 }, service);

  it('applies a re-sent add or subtract without op id once', async () => {
    const store = createRedisStockStore(resendingClient('stock_add', 'stock_subtract'), options('stock'));
    await store.createItem('i', 5);
    expect(await store.add('i', 10)).toEqual(OK);
    expect(await store.subtract('i', 4)).toEqual(OK);
    expect(await store.findItem('i')).toEqual({ stock: 6, price: 5 });
    await store.close();
  });

  it('applies a re-sent addFunds or pay without op id once', async () => {
    const store = createRedisPaymentStore(
      resendingClient('payment_add_funds', 'payment_pay'),
      options('payment'),
    );
    await store.createUser('u');
    expect(await store.addFunds('u', 10)).toEqual(OK);
    expect(await store.pay('u', 3)).toEqual(OK);
    expect(await store.findCredit('u')).toBe(7);
    await store.close();
  });

  it('appends a re-sent addItem once', async () => {
    const store = createRedisOrderStore(resendingClient('order_add_item'), options('order'));
    await store.createOrder('o', 'u');
    expect(await store.addItem('o', 'i', 2, 3)).toEqual(OK);
    expect(await store.findOrder('o')).toMatchObject({ items: [['i', 2]], totalCost: 6 });
    await store.close();
  });

  it('keeps the epoch of a re-sent takeOver and answers it with the saga', async () => {
    const store = createRedisOrderStore(resendingClient('order_take_over'), options('order'));
    await store.createOrder('o', 'u');
    await store.beginCheckout('o', { sagaId: 's', owner: 'a', leaseUntil: 1_000, deadline: 5_000 });
    expect(await store.takeOver('s', 'b', 2_000, 3_000)).toMatchObject({
      epoch: 2,
      owner: 'b',
      leaseUntil: 3_000,
    });
    expect(await store.findSaga('s')).toMatchObject({ epoch: 2 });
    await store.close();
  });

  it('applies adds once when Redis ran them but the connection broke before the replies', async () => {
    const proxy = await replyEatingProxy(url);
    const shared = options('stock');
    const store = createRedisStockStore(client(proxy.url), shared);
    await store.createItem('i', 1);
    proxy.eatReplies = true;
    const adds = Array.from({ length: 2000 }, () => store.add('i', 1));
    const reader = createRedisStockStore(client(), shared);
    await vi.waitFor(async () => expect(await reader.findItem('i')).toEqual({ stock: 2000, price: 1 }));
    // All ran, no reply arrived: ioredis reconnects and re-sends every one of them.
    proxy.eatReplies = false;
    proxy.breakConnections();
    expect((await Promise.all(adds)).every((outcome) => outcome.ok)).toBe(true);
    expect(await reader.findItem('i')).toEqual({ stock: 2000, price: 1 });
    await Promise.all([store.close(), reader.close(), proxy.close()]);
  });
});
