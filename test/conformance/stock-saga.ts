/**
 * Stock's participant steps (reserve / release per saga id), part of the stock store
 * conformance suite (stock.ts). Every rule is checked by reading the stock back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ItemLine } from '../../src/lib/items.js';
import { OK, refused } from '../../src/lib/outcome.js';
import type { StockStore } from '../../src/services/stock/store.js';
import { PAST_SHORT_TTL_MS, SHORT_TTL_MS, freshStores, type OpenStore } from './harness.js';

export function describeStockSagaSteps(open: OpenStore<StockStore>): void {
  const fresh = freshStores(open);

  /** A fresh store with item a (10 units), b (5) and c (0). */
  async function shop(options?: { recordTtlMs: number }): Promise<StockStore> {
    const store = await fresh(options);
    for (const [id, stock] of [
      ['a', 10],
      ['b', 5],
      ['c', 0],
    ] as const) {
      await store.createItem(id, 1);
      if (stock > 0) await store.add(id, stock);
    }
    return store;
  }

  async function stocks(store: StockStore, ...ids: string[]): Promise<(number | undefined)[]> {
    return Promise.all(ids.map(async (id) => (await store.findItem(id))?.stock));
  }

  const AB: ItemLine[] = [
    ['a', 3],
    ['b', 2],
  ];

  describe('reserve', () => {
    it('takes every line, and a repeat answers ok without taking again', async () => {
      const store = await shop();
      expect(await store.reserve('s1', 'o1', AB)).toEqual(OK);
      expect(await stocks(store, 'a', 'b')).toEqual([7, 3]);
      expect(await store.reserve('s1', 'o1', AB)).toEqual(OK);
      expect(await stocks(store, 'a', 'b')).toEqual([7, 3]);
    });

    it('takes everything that is there', async () => {
      const store = await shop();
      expect(
        await store.reserve('s1', 'o1', [
          ['a', 10],
          ['b', 5],
        ]),
      ).toEqual(OK);
      expect(await stocks(store, 'a', 'b')).toEqual([0, 0]);
    });

    it('answers item_not_found, takes nothing, and replays it after the item appears', async () => {
      const store = await shop();
      const lines: ItemLine[] = [
        ['a', 1],
        ['ghost', 1],
      ];
      expect(await store.reserve('s1', 'o1', lines)).toEqual(refused('item_not_found'));
      expect(await stocks(store, 'a', 'ghost')).toEqual([10, undefined]);
      await store.createItem('ghost', 1);
      await store.add('ghost', 5);
      expect(await store.reserve('s1', 'o1', lines)).toEqual(refused('item_not_found'));
      expect(await stocks(store, 'a', 'ghost')).toEqual([10, 5]);
    });

    it('reports a missing item before a short one', async () => {
      const store = await shop();
      expect(
        await store.reserve('s1', 'o1', [
          ['c', 1],
          ['ghost', 1],
        ]),
      ).toEqual(refused('item_not_found'));
      expect(
        await store.reserve('s2', 'o2', [
          ['ghost', 1],
          ['c', 1],
        ]),
      ).toEqual(refused('item_not_found'));
      expect(await stocks(store, 'c')).toEqual([0]);
    });

    it('answers insufficient_stock if any line is short, takes nothing, and replays it', async () => {
      const store = await shop();
      const lines: ItemLine[] = [
        ['a', 3],
        ['b', 6],
      ];
      expect(await store.reserve('s1', 'o1', lines)).toEqual(refused('insufficient_stock'));
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
      await store.add('b', 10);
      expect(await store.reserve('s1', 'o1', lines)).toEqual(refused('insufficient_stock'));
      expect(await stocks(store, 'a', 'b')).toEqual([10, 15]);
    });

    it('keeps sagas apart', async () => {
      const store = await shop();
      expect(await store.reserve('s1', 'o1', [['a', 3]])).toEqual(OK);
      expect(await store.reserve('s2', 'o2', [['a', 3]])).toEqual(OK);
      await store.release('s1');
      expect(await stocks(store, 'a')).toEqual([7]);
      expect(await store.reserve('s2', 'o2', [['a', 3]])).toEqual(OK);
      expect(await stocks(store, 'a')).toEqual([7]);
    });

    it('records an empty reservation as ok', async () => {
      const store = await shop();
      expect(await store.reserve('s1', 'o1', [])).toEqual(OK);
      expect(await store.reserve('s1', 'o1', [])).toEqual(OK);
      await store.release('s1');
      expect(await store.reserve('s1', 'o1', [])).toEqual(refused('compensated'));
      expect(await stocks(store, 'a', 'b', 'c')).toEqual([10, 5, 0]);
    });

    it('lets exactly as many concurrent sagas reserve as there is stock', async () => {
      const store = await shop();
      const lines: ItemLine[] = [
        ['b', 1],
        ['a', 2],
      ];
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.reserve(`s${i}`, `o${i}`, lines)),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
      expect(outcomes.filter((o) => !o.ok)).toEqual(Array(25).fill(refused('insufficient_stock')));
      expect(await stocks(store, 'a', 'b')).toEqual([0, 0]);
    });
  });

  describe('release', () => {
    it('gives back what a reservation took, once however often it is repeated', async () => {
      const store = await shop();
      await store.reserve('s1', 'o1', AB);
      await store.release('s1');
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
      await store.release('s1');
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
    });

    it('makes a reservation repeated after release answer compensated and take nothing', async () => {
      const store = await shop();
      await store.reserve('s1', 'o1', AB);
      await store.release('s1');
      expect(await store.reserve('s1', 'o1', AB)).toEqual(refused('compensated'));
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
    });

    it('gives nothing back for a refused reservation, which then answers compensated', async () => {
      const store = await shop();
      const lines: ItemLine[] = [
        ['a', 3],
        ['c', 1],
      ];
      expect(await store.reserve('s1', 'o1', lines)).toEqual(refused('insufficient_stock'));
      await store.release('s1');
      expect(await stocks(store, 'a', 'c')).toEqual([10, 0]);
      await store.add('c', 5);
      expect(await store.reserve('s1', 'o1', lines)).toEqual(refused('compensated'));
      expect(await stocks(store, 'a', 'c')).toEqual([10, 5]);
    });

    it('leaves a tombstone when it comes first, so a late reservation does nothing', async () => {
      const store = await shop();
      await store.release('s1');
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
      expect(await store.reserve('s1', 'o1', AB)).toEqual(refused('compensated'));
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
      await store.release('s1');
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
    });

    it('gives back exactly what was taken though stock moved meanwhile', async () => {
      const store = await shop();
      await store.reserve('s1', 'o1', AB);
      await store.subtract('a', 7);
      await store.add('b', 1);
      await store.release('s1');
      expect(await stocks(store, 'a', 'b')).toEqual([3, 6]);
    });

    it('gives back what the reservation recorded, whatever the release command says', async () => {
      const store = await shop();
      await store.reserve('s1', 'o1', AB);
      // A forged or garbled release (anyone who can publish to the broker) must not mint stock.
      await store.release('s1');
      expect(await stocks(store, 'a', 'b', 'c')).toEqual([10, 5, 0]);
      await store.reserve('s2', 'o2', [['a', 4]]);
      await store.release('s2');
      expect(await stocks(store, 'a', 'b', 'c')).toEqual([10, 5, 0]);
    });

    it('gives back once when released concurrently', async () => {
      const store = await shop();
      await store.reserve('s1', 'o1', AB);
      await Promise.all(Array.from({ length: 10 }, () => store.release('s1')));
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
    });
  });

  describe('one uncompensated reservation per order', () => {
    it('gives back the reservation of an earlier saga of the same order before taking again', async () => {
      const store = await shop();
      expect(await store.reserve('s1', 'o1', AB)).toEqual(OK);
      // s1's order-side record was lost and the order checked out again as s2.
      expect(await store.reserve('s2', 'o1', AB)).toEqual(OK);
      expect(await stocks(store, 'a', 'b')).toEqual([7, 3]);
      // s1 now counts as compensated: its late commands change nothing.
      expect(await store.reserve('s1', 'o1', AB)).toEqual(refused('compensated'));
      await store.release('s1');
      expect(await stocks(store, 'a', 'b')).toEqual([7, 3]);
      await store.release('s2');
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
    });

    it('holds only the new lines when the order changed in between', async () => {
      const store = await shop();
      await store.reserve('s1', 'o1', [['a', 3]]);
      expect(await store.reserve('s2', 'o1', [['b', 2]])).toEqual(OK);
      expect(await stocks(store, 'a', 'b')).toEqual([10, 3]);
    });

    it('holds nothing after a refused second saga: the first one is given back too', async () => {
      const store = await shop();
      await store.reserve('s1', 'o1', [['a', 3]]);
      expect(
        await store.reserve('s2', 'o1', [
          ['a', 3],
          ['c', 1],
        ]),
      ).toEqual(refused('insufficient_stock'));
      expect(await stocks(store, 'a', 'c')).toEqual([10, 0]);
      await store.release('s2');
      expect(await stocks(store, 'a', 'c')).toEqual([10, 0]);
    });

    it('leaves other orders and compensated sagas alone', async () => {
      const store = await shop();
      await store.reserve('s1', 'o1', [['a', 1]]);
      await store.release('s1');
      await store.reserve('s2', 'o1', [['a', 2]]);
      await store.reserve('s3', 'o2', [['a', 3]]);
      expect(await stocks(store, 'a')).toEqual([5]);
      await store.release('s1');
      expect(await stocks(store, 'a')).toEqual([5]);
      await store.reserve('s4', 'o1', [['a', 4]]);
      expect(await stocks(store, 'a')).toEqual([3]);
    });
  });

  describe('sagaRecord', () => {
    it('tells operators what it recorded for each saga, and nothing for an unknown one', async () => {
      const store = await shop();
      expect(await store.reserve('s1', 'o1', AB)).toEqual(OK);
      expect(await store.reserve('s2', 'o2', [['c', 1]])).toEqual(refused('insufficient_stock'));
      await store.release('s3');
      expect(await store.sagaRecord('s1')).toBe('applied');
      expect(await store.sagaRecord('s2')).toBe('insufficient_stock');
      expect(await store.sagaRecord('s3')).toBe('tombstone');
      await store.release('s1');
      expect(await store.sagaRecord('s1')).toBe('released');
      expect(await store.sagaRecord('s4')).toBeUndefined();
      expect(await stocks(store, 'a', 'b')).toEqual([10, 5]);
    });
  });

  describe('record expiry', () => {
    it('forgets a tombstone after recordTtlMs, so a late reservation applies', async () => {
      const store = await shop({ recordTtlMs: SHORT_TTL_MS });
      await store.release('s1');
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.reserve('s1', 'o1', AB)).toEqual(OK);
      expect(await stocks(store, 'a', 'b')).toEqual([7, 3]);
    });

    it('forgets a reservation after recordTtlMs, so the same saga id reserves anew', async () => {
      const store = await shop({ recordTtlMs: SHORT_TTL_MS });
      expect(await store.reserve('s1', 'o1', AB)).toEqual(OK);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.reserve('s1', 'o1', AB)).toEqual(OK);
      expect(await stocks(store, 'a', 'b')).toEqual([4, 1]);
    });

    it('forgets a refusal after recordTtlMs', async () => {
      const store = await shop({ recordTtlMs: SHORT_TTL_MS });
      expect(await store.reserve('s1', 'o1', [['c', 1]])).toEqual(refused('insufficient_stock'));
      await store.add('c', 1);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.reserve('s1', 'o1', [['c', 1]])).toEqual(OK);
      expect(await stocks(store, 'c')).toEqual([0]);
    });
  });
}
