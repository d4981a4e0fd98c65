/**
 * The stock store conformance suite: every rule of the StockStore contract, checked by
 * reading state back. Both implementations run it:
 *
 *   describeStockStore('sqlite', (options) => Promise.resolve(openSqliteStockStore(':memory:', options)));
 *
 * `open(options: { recordTtlMs: number }): Promise<StockStore>` must give a fresh, empty,
 * isolated store on every call (see harness.ts). This file holds items, add/subtract,
 * op ids and batchInit; stock-saga.ts holds reserve/release.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT, OK, refused } from '../../src/lib/outcome.js';
import type { StockStore } from '../../src/services/stock/store.js';
import { PAST_SHORT_TTL_MS, SHORT_TTL_MS, freshStores, type OpenStore } from './harness.js';
import { describeStockSagaSteps } from './stock-saga.js';

export function describeStockStore(name: string, open: OpenStore<StockStore>): void {
  describe(`stock store (${name})`, () => {
    describeStockItems(open);
    describeStockSagaSteps(open);
  });
}

function describeStockItems(open: OpenStore<StockStore>): void {
  const fresh = freshStores(open);

  /** A fresh store holding item `id` with `stock` units at `price`. */
  async function withItem(id: string, stock: number, price = 10): Promise<StockStore> {
    const store = await fresh();
    await store.createItem(id, price);
    if (stock > 0) expect(await store.add(id, stock)).toEqual(OK);
    return store;
  }

  describe('items', () => {
    it('creates an item with no stock at its price, and finds nothing for an unknown id', async () => {
      const store = await fresh();
      await store.createItem('i-1', 42);
      expect(await store.findItem('i-1')).toEqual({ stock: 0, price: 42 });
      expect(await store.findItem('i-2')).toBeUndefined();
    });

    it('never overwrites an existing item when created again', async () => {
      const store = await withItem('i', 5, 42);
      await store.createItem('i', 7);
      expect(await store.findItem('i')).toEqual({ stock: 5, price: 42 });
    });

    it('creates once per op id: a repeat answers the first id, the key on another request is refused', async () => {
      const store = await fresh();
      const create = 'POST /stock/item/create/42';
      const reused = refused('idempotency_key_reused');
      expect(await store.createItem('first', 42, 'key', create)).toEqual({ ok: true, id: 'first' });
      expect(await store.createItem('second', 42, 'key', create)).toEqual({ ok: true, id: 'first' });
      expect(await store.findItem('second')).toBeUndefined();
      // Another price is another request; another write's key on a create is refused too.
      expect(await store.createItem('third', 7, 'key', 'POST /stock/item/create/7')).toEqual(reused);
      expect(await store.findItem('third')).toBeUndefined();
      expect(await store.add('first', 5, 'key', 'POST /stock/add/first/5')).toEqual(reused);
      expect(await store.add('first', 5, 'other', create)).toEqual(OK);
      expect(await store.createItem('fourth', 42, 'other', create)).toEqual(reused);
      expect(await store.findItem('fourth')).toBeUndefined();
      expect(await store.findItem('first')).toEqual({ stock: 5, price: 42 });
      // Without a key, every call makes the id it is given, as before.
      expect(await store.createItem('plain', 42)).toEqual({ ok: true, id: 'plain' });
      expect(await store.findItem('plain')).toEqual({ stock: 0, price: 42 });
    });
  });

  describe('add and subtract', () => {
    it('adds and subtracts stock', async () => {
      const store = await withItem('i', 10);
      expect(await store.add('i', 5)).toEqual(OK);
      expect(await store.subtract('i', 3)).toEqual(OK);
      expect(await store.findItem('i')).toEqual({ stock: 12, price: 10 });
    });

    it('subtracts down to exactly zero', async () => {
      const store = await withItem('i', 4);
      expect(await store.subtract('i', 4)).toEqual(OK);
      expect((await store.findItem('i'))?.stock).toBe(0);
    });

    it('refuses to subtract below zero and changes nothing', async () => {
      const store = await withItem('i', 4);
      expect(await store.subtract('i', 5)).toEqual(refused('insufficient_stock'));
      expect(await store.findItem('i')).toEqual({ stock: 4, price: 10 });
    });

    it('refuses an unknown item without creating it', async () => {
      const store = await fresh();
      expect(await store.add('ghost', 1)).toEqual(refused('item_not_found'));
      expect(await store.subtract('ghost', 1)).toEqual(refused('item_not_found'));
      expect(await store.findItem('ghost')).toBeUndefined();
    });

    it('adds up to exactly MAX_AMOUNT', async () => {
      const store = await withItem('i', 5);
      expect(await store.add('i', MAX_AMOUNT - 5)).toEqual(OK);
      expect((await store.findItem('i'))?.stock).toBe(MAX_AMOUNT);
      expect(await store.subtract('i', MAX_AMOUNT)).toEqual(OK);
      expect((await store.findItem('i'))?.stock).toBe(0);
    });

    it('answers overflow past MAX_AMOUNT and changes nothing', async () => {
      const store = await withItem('i', MAX_AMOUNT - 1);
      expect(await store.add('i', 2)).toEqual(refused('overflow'));
      expect((await store.findItem('i'))?.stock).toBe(MAX_AMOUNT - 1);
      expect(await store.add('i', MAX_AMOUNT)).toEqual(refused('overflow'));
      expect((await store.findItem('i'))?.stock).toBe(MAX_AMOUNT - 1);
      expect(await store.add('i', 1)).toEqual(OK);
      expect((await store.findItem('i'))?.stock).toBe(MAX_AMOUNT);
    });
  });

  describe('operation ids', () => {
    it('binds an op id to its request: another request with it is refused and changes nothing', async () => {
      const store = await withItem('i', 10);
      const reused = refused('idempotency_key_reused');
      expect(await store.subtract('i', 4, 'key', 'POST /stock/subtract/i/4')).toEqual(OK);
      expect(await store.subtract('i', 5, 'key', 'POST /stock/subtract/i/5')).toEqual(reused);
      expect(await store.add('i', 4, 'key', 'POST /stock/add/i/4')).toEqual(reused);
      expect(await store.subtract('i', 4, 'key', 'POST /stock/subtract/i/4')).toEqual(OK);
      expect(await store.findItem('i')).toEqual({ stock: 6, price: 10 });
    });

    it('applies an add once however often it is repeated with its op id', async () => {
      const store = await withItem('i', 10);
      expect(await store.add('i', 5, 'op-1')).toEqual(OK);
      expect(await store.add('i', 5, 'op-1')).toEqual(OK);
      expect((await store.findItem('i'))?.stock).toBe(15);
      expect(await store.add('i', 5, 'op-2')).toEqual(OK);
      expect((await store.findItem('i'))?.stock).toBe(20);
    });

    it('applies a subtract once however often it is repeated with its op id', async () => {
      const store = await withItem('i', 10);
      expect(await store.subtract('i', 4, 'op-1')).toEqual(OK);
      expect(await store.subtract('i', 4, 'op-1')).toEqual(OK);
      expect((await store.findItem('i'))?.stock).toBe(6);
    });

    it('replays a recorded refusal even once the call would succeed', async () => {
      const store = await withItem('i', 3);
      expect(await store.subtract('i', 5, 'op-1')).toEqual(refused('insufficient_stock'));
      expect(await store.add('i', 10)).toEqual(OK);
      expect(await store.subtract('i', 5, 'op-1')).toEqual(refused('insufficient_stock'));
      expect((await store.findItem('i'))?.stock).toBe(13);
    });

    it('replays item_not_found and overflow under their op ids', async () => {
      const store = await withItem('i', MAX_AMOUNT);
      expect(await store.add('late', 1, 'op-a')).toEqual(refused('item_not_found'));
      expect(await store.add('i', 1, 'op-b')).toEqual(refused('overflow'));
      await store.createItem('late', 1);
      expect(await store.subtract('i', 1)).toEqual(OK);
      expect(await store.add('late', 1, 'op-a')).toEqual(refused('item_not_found'));
      expect(await store.add('i', 1, 'op-b')).toEqual(refused('overflow'));
      expect(await store.findItem('late')).toEqual({ stock: 0, price: 1 });
      expect((await store.findItem('i'))?.stock).toBe(MAX_AMOUNT - 1);
    });

    it('forgets an op id after recordTtlMs, so the same id applies again', async () => {
      const store = await fresh({ recordTtlMs: SHORT_TTL_MS });
      await store.createItem('i', 1);
      expect(await store.add('i', 5, 'op-1')).toEqual(OK);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.add('i', 5, 'op-1')).toEqual(OK);
      expect((await store.findItem('i'))?.stock).toBe(10);
    });
  });

  describe('batchInit', () => {
    it('creates 100,000 items "0".."99999" with the given stock and price', async () => {
      const store = await fresh();
      await store.batchInit(100_000, 7, 3);
      for (const id of ['0', '1', '4711', '54321', '99999']) {
        expect(await store.findItem(id)).toEqual({ stock: 7, price: 3 });
      }
      expect(await store.findItem('100000')).toBeUndefined();
      expect(await store.findItem('-1')).toBeUndefined();
    });

    it('replaces existing items in range with fresh values and leaves others alone', async () => {
      const store = await withItem('5', 100, 9);
      await store.createItem('other', 2);
      await store.batchInit(10, 0, 4);
      expect(await store.findItem('5')).toEqual({ stock: 0, price: 4 });
      expect(await store.findItem('9')).toEqual({ stock: 0, price: 4 });
      expect(await store.findItem('other')).toEqual({ stock: 0, price: 2 });
      expect(await store.add('5', 3)).toEqual(OK);
      expect(await store.findItem('5')).toEqual({ stock: 3, price: 4 });
    });
  });
}
