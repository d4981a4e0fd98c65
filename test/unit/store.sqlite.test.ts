/**
 * The embedded SQLite stores: the shared conformance suites on private in-memory databases,
 * plus what only a file-backed store can show (data survives a restart, expired rows go).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OK, refused } from '../../src/lib/outcome.js';
import { openDatabase } from '../../src/lib/sqlite.js';
import { openSqliteOrderStore } from '../../src/services/order/store.sqlite.js';
import { openSqlitePaymentStore } from '../../src/services/payment/store.sqlite.js';
import { openSqliteStockStore } from '../../src/services/stock/store.sqlite.js';
import { LONG_TTL_MS, PAST_SHORT_TTL_MS, SHORT_TTL_MS } from '../conformance/harness.js';
import { describeOrderStore } from '../conformance/order.js';
import { startCheckout } from '../conformance/order-saga.js';
import { describePaymentStore } from '../conformance/payment.js';
import { describeStockStore } from '../conformance/stock.js';

describeStockStore('sqlite', (options) => Promise.resolve(openSqliteStockStore(':memory:', options)));
describePaymentStore('sqlite', (options) => Promise.resolve(openSqlitePaymentStore(':memory:', options)));
describeOrderStore('sqlite', (options) => Promise.resolve(openSqliteOrderStore(':memory:', options)));

describe('sqlite stores on files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-sqlite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const long = { recordTtlMs: LONG_TTL_MS };

  it('keeps stock, reservations and tombstones across a restart', async () => {
    const file = join(dir, 'stock.db');
    const before = openSqliteStockStore(file, long);
    await before.createItem('a', 5);
    await before.add('a', 10, 'op-1');
    expect(await before.reserve('s1', 'o1', [['a', 4]])).toEqual(OK);
    await before.release('s2');
    await before.close();

    const after = openSqliteStockStore(file, long);
    expect(await after.findItem('a')).toEqual({ stock: 6, price: 5 });
    expect(await after.add('a', 10, 'op-1')).toEqual(OK);
    expect(await after.reserve('s1', 'o1', [['a', 4]])).toEqual(OK);
    expect(await after.reserve('s2', 'o2', [['a', 1]])).toEqual(refused('compensated'));
    await after.release('s1');
    expect(await after.findItem('a')).toEqual({ stock: 10, price: 5 });
    await after.close();
  });

  it('keeps credit and charges across a restart', async () => {
    const file = join(dir, 'payment.db');
    const before = openSqlitePaymentStore(file, long);
    await before.createUser('u');
    await before.addFunds('u', 100);
    expect(await before.charge('s1', 'o1', 'u', 30)).toEqual(OK);
    await before.close();

    const after = openSqlitePaymentStore(file, long);
    expect(await after.findCredit('u')).toBe(70);
    expect(await after.charge('s1', 'o1', 'u', 30)).toEqual(OK);
    await after.refund('s1');
    expect(await after.findCredit('u')).toBe(100);
    await after.close();
  });

  it('keeps orders and running sagas across a restart', async () => {
    const file = join(dir, 'order.db');
    const before = openSqliteOrderStore(file, long);
    await before.createOrder('o1', 'u1');
    await before.addItem('o1', 'a', 2, 3);
    const saga = await startCheckout(before, 'o1', 's1');
    await before.close();

    const after = openSqliteOrderStore(file, long);
    expect(await after.findSaga('s1')).toEqual(saga);
    expect(await after.addItem('o1', 'b', 1, 1)).toEqual(refused('checkout_running'));
    expect(await after.expiredSagas(Number.MAX_SAFE_INTEGER, 10)).toEqual(['s1']);
    expect(await after.transition(saga, 'COMMITTED')).toBe(true);
    expect(await after.findOrder('o1')).toEqual({
      orderId: 'o1',
      userId: 'u1',
      paid: true,
      items: [['a', 2]],
      totalCost: 6,
    });
    await after.close();
  });

  it('forgets a finished saga after recordTtlMs', async () => {
    const store = openSqliteOrderStore(join(dir, 'order-ttl.db'), { recordTtlMs: SHORT_TTL_MS });
    await store.createOrder('o1', 'u1');
    const saga = await startCheckout(store, 'o1', 's1');
    expect(await store.transition(saga, 'COMMITTED')).toBe(true);
    await sleep(PAST_SHORT_TTL_MS);
    expect(await store.findSaga('s1')).toBeUndefined();
    expect(await store.transition(saga, 'COMMITTED')).toBe(false);
    expect(await store.findOrder('o1')).toMatchObject({ paid: true });
    await store.close();
  });

  it('deletes expired participant records as new ones are written', async () => {
    const file = join(dir, 'purge.db');
    const shortLived = openSqliteStockStore(file, { recordTtlMs: SHORT_TTL_MS });
    for (let i = 0; i < 300; i++) await shortLived.release(`old-${i}`);
    await shortLived.close();
    await sleep(PAST_SHORT_TTL_MS);

    const store = openSqliteStockStore(file, long);
    // The 256th write of a store purges up to 512 expired rows in its transaction.
    for (let i = 0; i < 256; i++) await store.release(`new-${i}`);
    await store.close();
    const db = openDatabase(file);
    const count = db.prepare<[], number>('SELECT count(*) FROM saga_records').pluck().get();
    db.close();
    expect(count).toBe(256);
  });
});
