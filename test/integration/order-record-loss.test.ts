/**
 * A lost order-side record never charges or reserves twice (issue 11.2): a committed checkout
 * whose saga record and paid flag are gone (a failover lost them) is checked out again, and
 * the participants, which keep at most one uncompensated effect per order, give the first
 * saga's effect back before taking the second's. Each store kind (SQLite files, Redis) is
 * tampered with directly, as the failover would have left it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBus } from '../../src/bus/local.js';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { OK } from '../../src/lib/outcome.js';
import { connectRedis, deleteByPrefix, type Redis } from '../../src/lib/redis.js';
import { orderKeys } from '../../src/services/order/keys.js';
import { createCheckout } from '../../src/services/order/saga.js';
import type { OrderStore } from '../../src/services/order/store.js';
import { createRedisOrderStore } from '../../src/services/order/store.redis.js';
import { openSqliteOrderStore } from '../../src/services/order/store.sqlite.js';
import { paymentCommands } from '../../src/services/payment/commands.js';
import type { PaymentStore } from '../../src/services/payment/store.js';
import { createRedisPaymentStore } from '../../src/services/payment/store.redis.js';
import { openSqlitePaymentStore } from '../../src/services/payment/store.sqlite.js';
import { stockCommands } from '../../src/services/stock/commands.js';
import type { StockStore } from '../../src/services/stock/store.js';
import { createRedisStockStore } from '../../src/services/stock/store.redis.js';
import { openSqliteStockStore } from '../../src/services/stock/store.sqlite.js';
import { openDatabase } from '../../src/lib/sqlite.js';
import { redisProcesses, testRedisUrl } from '../support/redis.js';

const TIMING = { leaseMs: 500, attemptMs: 100, deadlineMs: 3000, sweepMs: 50, retryMaxMs: 100 };
const OPTIONS = { recordTtlMs: 60_000 };
const log = silentLog();

interface Stores {
  stock: StockStore;
  payment: PaymentStore;
  orders: OrderStore;
  /** Deletes every saga record and the order's paid flag and freeze, as a lost write would. */
  forget(orderId: string): Promise<void>;
}

const processes = redisProcesses();
const ROOT = `t:${randomUUID()}:`;
let dir = '';
let url = '';
let admin: Redis;
const redisClient = (): Redis => connectRedis({ ...loadConfig().redis, url }, 'test', log);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'record-loss-'));
  url = await testRedisUrl(processes);
  admin = redisClient();
});

afterAll(async () => {
  await deleteByPrefix(admin, ROOT);
  admin.disconnect();
  await processes.stopAll();
  await rm(dir, { recursive: true, force: true });
});

function sqliteStores(): Stores {
  const file = join(dir, `order-${randomUUID()}.db`);
  return {
    stock: openSqliteStockStore(':memory:', OPTIONS),
    payment: openSqlitePaymentStore(':memory:', OPTIONS),
    orders: openSqliteOrderStore(file, OPTIONS),
    forget(orderId) {
      const db = openDatabase(file);
      db.prepare('DELETE FROM sagas WHERE order_id = ?').run(orderId);
      db.prepare('UPDATE orders SET paid = 0, saga_id = NULL WHERE order_id = ?').run(orderId);
      db.close();
      return Promise.resolve();
    },
  };
}

function redisStores(): Stores {
  const prefix = `${ROOT}${randomUUID()}:`;
  const options = (service: string) => ({
    ...OPTIONS,
    prefix: `${prefix}${service}:`,
    durable: () => Promise.resolve(),
  });
  const keys = orderKeys(`${prefix}order:`);
  return {
    stock: createRedisStockStore(redisClient(), options('stock')),
    payment: createRedisPaymentStore(redisClient(), options('payment')),
    orders: createRedisOrderStore(redisClient(), options('order')),
    async forget(orderId) {
      await deleteByPrefix(admin, keys.saga(''));
      await admin.hdel(keys.order(orderId), 'paid', 'saga');
    },
  };
}

describe.each([
  ['sqlite', sqliteStores],
  ['redis', redisStores],
])('a lost order-side record (%s)', (_name, open) => {
  async function world() {
    const stores = open();
    await stores.stock.createItem('i', 4);
    await stores.stock.add('i', 10);
    await stores.payment.createUser('u');
    await stores.payment.addFunds('u', 100);
    await stores.orders.createOrder('o', 'u');
    await stores.orders.addItem('o', 'i', 2, 4);
    const bus = createLocalBus({ commandTtlMs: 5000 });
    await bus.serve('stock', stockCommands(stores.stock));
    await bus.serve('payment', paymentCommands(stores.payment));
    const checkout = createCheckout({ store: stores.orders, bus, owner: 'a', timing: TIMING, log });
    const close = async () => {
      await checkout.close(0);
      await bus.close();
      await Promise.all([stores.stock.close(), stores.payment.close(), stores.orders.close()]);
    };
    return { ...stores, checkout, close };
  }

  it('never charges or reserves a second time, and the order ends paid', async () => {
    const w = await world();
    expect(await w.checkout.checkout('o')).toEqual(OK);
    expect(await w.payment.findCredit('u')).toBe(92);
    await w.forget('o');
    expect((await w.orders.findOrder('o'))?.paid).toBe(false);

    expect(await w.checkout.checkout('o')).toEqual(OK);
    expect(await w.payment.findCredit('u')).toBe(92);
    expect((await w.stock.findItem('i'))?.stock).toBe(8);
    expect((await w.orders.findOrder('o'))?.paid).toBe(true);
    await w.close();
  });

  it('gives everything back when the second checkout of the order aborts', async () => {
    const w = await world();
    expect(await w.checkout.checkout('o')).toEqual(OK);
    await w.forget('o');
    // Between the loss and the new checkout the order grew past the stock.
    expect(await w.orders.addItem('o', 'i', 20, 4)).toEqual(OK);
    expect((await w.checkout.checkout('o')).ok).toBe(false);
    expect(await w.payment.findCredit('u')).toBe(100);
    expect((await w.stock.findItem('i'))?.stock).toBe(10);
    expect((await w.orders.findOrder('o'))?.paid).toBe(false);
    await w.close();
  });
});
