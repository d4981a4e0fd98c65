/**
 * The order store conformance suite: every rule of the OrderStore contract, checked by
 * reading state back. Both implementations run it:
 *
 *   describeOrderStore('sqlite', (options) => Promise.resolve(openSqliteOrderStore(':memory:', options)));
 *
 * `open(options: { recordTtlMs: number }): Promise<OrderStore>` must give a fresh, empty,
 * isolated store on every call (see harness.ts). This file holds orders, addItem and
 * putOrders; order-saga.ts and order-lease.ts hold checkout sagas.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ORDER_LIMITS } from '../../src/lib/config.js';
import { MAX_AMOUNT, OK, refused } from '../../src/lib/outcome.js';
import type { NewOrder, OrderStore } from '../../src/services/order/store.js';
import { freshStores, type OpenStore } from './harness.js';
import { describeOrderCheckoutKeys } from './order-checkout-key.js';
import { describeOrderLeases } from './order-lease.js';
import { describeOrderOperator } from './order-operator.js';
import { commitCheckout, describeOrderSagas, startCheckout } from './order-saga.js';

export function describeOrderStore(name: string, open: OpenStore<OrderStore>): void {
  describe(`order store (${name})`, () => {
    describeOrders(open);
    describeOrderSagas(open);
    describeOrderCheckoutKeys(open);
    describeOrderLeases(open);
    describeOrderOperator(open);
  });
}

function describeOrders(open: OpenStore<OrderStore>): void {
  const fresh = freshStores(open);

  describe('orders', () => {
    it('creates an unpaid empty order for the user, and finds nothing for an unknown id', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      expect(await store.findOrder('o1')).toEqual({
        orderId: 'o1',
        userId: 'u1',
        paid: false,
        items: [],
        totalCost: 0,
      });
      expect(await store.findOrder('o2')).toBeUndefined();
    });

    it('never overwrites an existing order when created again', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      await store.addItem('o1', 'a', 2, 5);
      await store.createOrder('o1', 'u2');
      expect(await store.findOrder('o1')).toEqual({
        orderId: 'o1',
        userId: 'u1',
        paid: false,
        items: [['a', 2]],
        totalCost: 10,
      });
    });

    it('creates once per op id: a repeat answers the first id, the key on another request is refused', async () => {
      const store = await fresh();
      const create = 'POST /orders/create/u1';
      const reused = refused('idempotency_key_reused');
      expect(await store.createOrder('first', 'u1', 'key', create)).toEqual({ ok: true, id: 'first' });
      expect(await store.createOrder('second', 'u1', 'key', create)).toEqual({ ok: true, id: 'first' });
      expect(await store.findOrder('second')).toBeUndefined();
      // Another user is another request; another write's key on a create is refused too.
      expect(await store.createOrder('third', 'u2', 'key', 'POST /orders/create/u2')).toEqual(reused);
      expect(await store.findOrder('third')).toBeUndefined();
      expect(await store.addItem('first', 'a', 1, 5, 'key', 'POST /orders/addItem/first/a/1')).toEqual(
        reused,
      );
      expect(await store.addItem('first', 'a', 1, 5, 'other', create)).toEqual(OK);
      expect(await store.createOrder('fourth', 'u1', 'other', create)).toEqual(reused);
      expect(await store.findOrder('fourth')).toBeUndefined();
      expect((await store.findOrder('first'))?.items).toEqual([['a', 1]]);
      // Without a key, every call makes the id it is given, as before.
      expect(await store.createOrder('plain', 'u1')).toEqual({ ok: true, id: 'plain' });
      expect((await store.findOrder('plain'))?.userId).toBe('u1');
    });
  });

  describe('addItem', () => {
    it('appends lines in order, keeping duplicates, and adds quantity × price', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      expect(await store.addItem('o1', 'a', 2, 3)).toEqual(OK);
      expect(await store.addItem('o1', 'b', 1, 4)).toEqual(OK);
      expect(await store.addItem('o1', 'a', 5, 3)).toEqual(OK);
      const order = await store.findOrder('o1');
      expect(order?.items).toEqual([
        ['a', 2],
        ['b', 1],
        ['a', 5],
      ]);
      expect(order?.totalCost).toBe(25);
    });

    it('applies an addItem repeated with the same op id once, and replays its refusal too', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      for (let i = 0; i < 3; i++) expect(await store.addItem('o1', 'a', 2, 3, 'key-1')).toEqual(OK);
      expect(await store.addItem('o1', 'a', 1, 3, 'key-2')).toEqual(OK);
      const order = await store.findOrder('o1');
      expect(order?.items).toEqual([
        ['a', 2],
        ['a', 1],
      ]);
      expect(order?.totalCost).toBe(9);
      expect(await store.addItem('ghost', 'a', 1, 1, 'key-3')).toEqual(refused('order_not_found'));
      await store.createOrder('ghost', 'u1');
      expect(await store.addItem('ghost', 'a', 1, 1, 'key-3')).toEqual(refused('order_not_found'));
      expect((await store.findOrder('ghost'))?.items).toEqual([]);
    });

    it('answers order_not_found without creating the order', async () => {
      const store = await fresh();
      expect(await store.addItem('ghost', 'a', 1, 1)).toEqual(refused('order_not_found'));
      expect(await store.findOrder('ghost')).toBeUndefined();
    });

    it('answers order_paid for a paid order and changes nothing', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      await store.addItem('o1', 'a', 1, 7);
      await commitCheckout(store, 'o1', 's1');
      expect(await store.addItem('o1', 'b', 1, 1)).toEqual(refused('order_paid'));
      const order = await store.findOrder('o1');
      expect(order).toMatchObject({ paid: true, items: [['a', 1]], totalCost: 7 });
    });

    it('binds an op id to its request: another addItem with it is refused and changes nothing', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      await store.createOrder('o2', 'u1');
      expect(await store.addItem('o1', 'a', 2, 3, 'key', 'POST /orders/addItem/o1/a/2')).toEqual(OK);
      const reused = refused('idempotency_key_reused');
      expect(await store.addItem('o2', 'a', 2, 3, 'key', 'POST /orders/addItem/o2/a/2')).toEqual(reused);
      expect(await store.addItem('o1', 'a', 2, 3, 'key', 'POST /orders/addItem/o1/a/2')).toEqual(OK);
      expect(await store.findOrder('o1')).toMatchObject({ items: [['a', 2]], totalCost: 6 });
      expect(await store.findOrder('o2')).toMatchObject({ items: [], totalCost: 0 });
    });

    it('answers order_too_large past the most lines of an order and changes nothing', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      const { maxLines } = DEFAULT_ORDER_LIMITS;
      for (let i = 0; i < maxLines; i++) expect(await store.addItem('o1', 'a', 1, 2)).toEqual(OK);
      expect(await store.addItem('o1', 'b', 1, 1)).toEqual(refused('order_too_large'));
      expect(await store.addItem('o1', 'b', 1, 1, 'key-1')).toEqual(refused('order_too_large'));
      const order = await store.findOrder('o1');
      expect(order?.items).toHaveLength(maxLines);
      expect(order?.totalCost).toBe(2 * maxLines);
    });

    it('answers order_too_large past the most units of an order and changes nothing', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      const { maxQuantity } = DEFAULT_ORDER_LIMITS;
      expect(await store.addItem('o1', 'a', maxQuantity - 1, 1)).toEqual(OK);
      expect(await store.addItem('o1', 'b', 2, 1)).toEqual(refused('order_too_large'));
      expect(await store.addItem('o1', 'b', 1, 1)).toEqual(OK);
      expect(await store.addItem('o1', 'c', 1, 1)).toEqual(refused('order_too_large'));
      expect(await store.findOrder('o1')).toMatchObject({
        items: [
          ['a', maxQuantity - 1],
          ['b', 1],
        ],
        totalCost: maxQuantity,
      });
    });

    it('answers checkout_running while a checkout runs and changes nothing', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      await store.addItem('o1', 'a', 1, 7);
      await startCheckout(store, 'o1', 's1');
      expect(await store.addItem('o1', 'b', 1, 1)).toEqual(refused('checkout_running'));
      const order = await store.findOrder('o1');
      expect(order).toMatchObject({ paid: false, items: [['a', 1]], totalCost: 7 });
    });

    it('adds up to a total of exactly MAX_AMOUNT, computing quantity × price exactly', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      // 3 × 3002399751580330 = MAX_AMOUNT - 1, a 16-digit total: Lua's tostring would print 14 digits.
      expect(await store.addItem('o1', 'a', 3, 3002399751580330)).toEqual(OK);
      expect((await store.findOrder('o1'))?.totalCost).toBe(MAX_AMOUNT - 1);
      expect(await store.addItem('o1', 'b', 1, 1)).toEqual(OK);
      expect((await store.findOrder('o1'))?.totalCost).toBe(MAX_AMOUNT);
    });

    it('answers overflow past MAX_AMOUNT and changes nothing', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      expect(await store.addItem('o1', 'a', 1, MAX_AMOUNT - 10)).toEqual(OK);
      expect(await store.addItem('o1', 'b', 11, 1)).toEqual(refused('overflow'));
      expect(await store.addItem('o1', 'b', 2, 6)).toEqual(refused('overflow'));
      expect(await store.addItem('o1', 'c', MAX_AMOUNT, MAX_AMOUNT)).toEqual(refused('overflow'));
      expect(await store.findOrder('o1')).toMatchObject({ items: [['a', 1]], totalCost: MAX_AMOUNT - 10 });

      await store.createOrder('o2', 'u1');
      // 2^52 × 3 > MAX_AMOUNT although each factor is far below it.
      expect(await store.addItem('o2', 'a', 3, 2 ** 52)).toEqual(refused('overflow'));
      expect(await store.findOrder('o2')).toMatchObject({ items: [], totalCost: 0 });
    });
  });

  describe('putOrders', () => {
    it('writes new orders whole', async () => {
      const store = await fresh();
      const orders: NewOrder[] = [
        {
          orderId: 'o1',
          userId: 'u1',
          items: [
            ['a', 1],
            ['b', 1],
          ],
          totalCost: 20,
        },
        {
          orderId: 'o2',
          userId: 'u2',
          items: [
            ['a', 1],
            ['a', 1],
          ],
          totalCost: 20,
        },
      ];
      await store.putOrders(orders);
      for (const order of orders) {
        expect(await store.findOrder(order.orderId)).toEqual({ ...order, paid: false });
      }
    });

    it('replaces existing orders, paid or not, as unpaid and open for items', async () => {
      const store = await fresh();
      await store.createOrder('o1', 'u1');
      await store.addItem('o1', 'x', 5, 5);
      await commitCheckout(store, 'o1', 's1');
      await store.createOrder('o2', 'u1');
      await store.addItem('o2', 'x', 5, 5);
      await store.putOrders([
        { orderId: 'o1', userId: 'u9', items: [['a', 2]], totalCost: 6 },
        { orderId: 'o2', userId: 'u8', items: [], totalCost: 0 },
      ]);
      expect(await store.findOrder('o1')).toEqual({
        orderId: 'o1',
        userId: 'u9',
        paid: false,
        items: [['a', 2]],
        totalCost: 6,
      });
      expect(await store.findOrder('o2')).toEqual({
        orderId: 'o2',
        userId: 'u8',
        paid: false,
        items: [],
        totalCost: 0,
      });
      expect(await store.addItem('o1', 'b', 1, 1)).toEqual(OK);
      expect((await store.findOrder('o1'))?.totalCost).toBe(7);
    });

    it('writes 100,000 orders', async () => {
      const store = await fresh();
      const orders: NewOrder[] = Array.from({ length: 100_000 }, (_, i) => ({
        orderId: String(i),
        userId: String(i % 1000),
        items: [
          [String(i % 7), 1],
          [String(i % 11), 1],
        ],
        totalCost: 2 * (i % 50),
      }));
      await store.putOrders(orders);
      for (const i of [0, 1, 4711, 54321, 99999]) {
        expect(await store.findOrder(String(i))).toEqual({ ...orders[i], paid: false });
      }
      expect(await store.findOrder('100000')).toBeUndefined();
    });
  });
}
