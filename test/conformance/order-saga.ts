/**
 * Checkout sagas in the order store (beginCheckout, transition), part of the order store
 * conformance suite (order.ts). Lease times are plain numbers: the store never reads the
 * clock for leases, only the caller's `now`.
 */
import { describe, expect, it } from 'vitest';
import type { ItemLine } from '../../src/lib/items.js';
import { OK, refused } from '../../src/lib/outcome.js';
import type { NewSaga, OrderStore, Saga } from '../../src/services/order/store.js';
import { freshStores, type OpenStore, type StoreOptions } from './harness.js';

export function newSaga(sagaId: string, changes: Partial<NewSaga> = {}): NewSaga {
  return { sagaId, owner: 'owner-1', leaseUntil: 1_000, deadline: 5_000, ...changes };
}

/**
 * For a suite's tests: a fresh store (from `fresh`, see harness.ts) with empty orders
 * o1..o`count` of user u1.
 */
export function storesWithOrders(
  fresh: (options?: StoreOptions) => Promise<OrderStore>,
): (count: number, options?: StoreOptions) => Promise<OrderStore> {
  return async (count, options) => {
    const store = await fresh(options);
    for (let i = 1; i <= count; i++) await store.createOrder(`o${i}`, 'u1');
    return store;
  };
}

/** Begins a checkout that must start, and returns its saga. */
export async function startCheckout(
  store: OrderStore,
  orderId: string,
  sagaId: string,
  changes: Partial<NewSaga> = {},
): Promise<Saga> {
  const begin = await store.beginCheckout(orderId, newSaga(sagaId, changes));
  if (begin.kind !== 'started') throw new Error(`checkout of ${orderId} did not start: ${begin.kind}`);
  return begin.saga;
}

/** Runs a checkout to COMMITTED, so the order is paid. */
export async function commitCheckout(store: OrderStore, orderId: string, sagaId: string): Promise<Saga> {
  const saga = await startCheckout(store, orderId, sagaId);
  expect(await store.transition(saga, 'COMMITTED')).toBe(true);
  return { ...saga, state: 'COMMITTED' };
}

/** Runs a saga from RUNNING through ABORTING to ABORTED. */
export async function abortCheckout(store: OrderStore, saga: Saga): Promise<Saga> {
  expect(await store.transition(saga, 'ABORTING', 'insufficient_stock')).toBe(true);
  const aborting: Saga = { ...saga, state: 'ABORTING', reason: 'insufficient_stock' };
  expect(await store.transition(aborting, 'ABORTED')).toBe(true);
  return { ...aborting, state: 'ABORTED' };
}

export function describeOrderSagas(open: OpenStore<OrderStore>): void {
  const fresh = freshStores(open);

  /** A fresh store with order o1 of user u1: a×2 at 3, b×1 at 4, a×1 at 3 (total 13). */
  async function withOrder(): Promise<OrderStore> {
    const store = await fresh();
    await store.createOrder('o1', 'u1');
    await store.addItem('o1', 'a', 2, 3);
    await store.addItem('o1', 'b', 1, 4);
    await store.addItem('o1', 'a', 1, 3);
    return store;
  }

  const O1_LINES: ItemLine[] = [
    ['a', 2],
    ['b', 1],
    ['a', 1],
  ];

  describe('beginCheckout', () => {
    it('answers not_found for an unknown order and starts nothing', async () => {
      const store = await fresh();
      expect(await store.beginCheckout('ghost', newSaga('s1'))).toEqual({ kind: 'not_found' });
      expect(await store.findSaga('s1')).toBeUndefined();
      expect(await store.expiredSagas(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    });

    it('starts a RUNNING saga at epoch 1 from the order as stored, and freezes the order', async () => {
      const store = await withOrder();
      const begin = await store.beginCheckout('o1', newSaga('s1'));
      const expected: Saga = {
        sagaId: 's1',
        orderId: 'o1',
        userId: 'u1',
        items: O1_LINES,
        amount: 13,
        state: 'RUNNING',
        epoch: 1,
        owner: 'owner-1',
        leaseUntil: 1_000,
        deadline: 5_000,
        reason: undefined,
        orderKey: 's1',
      };
      expect(begin).toEqual({ kind: 'started', saga: expected });
      expect(await store.findSaga('s1')).toEqual(expected);
      expect(await store.addItem('o1', 'c', 1, 1)).toEqual(refused('checkout_running'));
      expect(await store.findOrder('o1')).toMatchObject({ paid: false, items: O1_LINES, totalCost: 13 });
      expect(await store.expiredSagas(1_001, 10)).toEqual(['s1']);
    });

    it('keeps one order key for every saga of an order until batch_init rewrites it', async () => {
      const store = await withOrder();
      const first = await startCheckout(store, 'o1', 's1');
      expect(first.orderKey).toBe('s1');
      await abortCheckout(store, first);
      const second = await startCheckout(store, 'o1', 's2');
      // The same order to the participants: they keep one effect per order key.
      expect(second.orderKey).toBe('s1');
      expect((await store.findSaga('s2'))?.orderKey).toBe('s1');
      await abortCheckout(store, second);
      await store.putOrders([{ orderId: 'o1', userId: 'u1', items: O1_LINES, totalCost: 13 }]);
      // A rewritten order is a new order: nothing the old one held may be given back into it.
      expect((await startCheckout(store, 'o1', 's3')).orderKey).toBe('s3');
      expect((await store.findSaga('s1'))?.orderKey).toBe('s1');
    });

    it('lets a checkout with another saga id join the running one', async () => {
      const store = await withOrder();
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.beginCheckout('o1', newSaga('s2'))).toEqual({ kind: 'running', sagaId: 's1' });
      expect(await store.findSaga('s2')).toBeUndefined();
      expect(await store.findSaga('s1')).toEqual(saga);
    });

    it('answers a resend of the same call with the saga as stored', async () => {
      const store = await withOrder();
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.beginCheckout('o1', newSaga('s1', { owner: 'x' }))).toEqual({
        kind: 'started',
        saga,
      });
      const taken = await store.takeOver('s1', 'owner-2', 2_000, 3_000);
      expect(taken).toMatchObject({ epoch: 2, owner: 'owner-2' });
      expect(await store.beginCheckout('o1', newSaga('s1'))).toEqual({ kind: 'started', saga: taken });
    });

    it('answers paid once a saga committed, and starts nothing', async () => {
      const store = await withOrder();
      await commitCheckout(store, 'o1', 's1');
      expect(await store.beginCheckout('o1', newSaga('s2'))).toEqual({ kind: 'paid' });
      expect(await store.beginCheckout('o1', newSaga('s1'))).toEqual({ kind: 'paid' });
      expect(await store.findSaga('s2')).toBeUndefined();
    });

    it('starts a new saga from the current lines after the last one aborted', async () => {
      const store = await withOrder();
      await abortCheckout(store, await startCheckout(store, 'o1', 's1'));
      expect(await store.addItem('o1', 'c', 1, 10)).toEqual(OK);
      const saga = await startCheckout(store, 'o1', 's2');
      expect(saga).toMatchObject({ state: 'RUNNING', epoch: 1, amount: 23, items: [...O1_LINES, ['c', 1]] });
      expect(await store.findSaga('s1')).toMatchObject({ state: 'ABORTED' });
    });

    it('starts exactly one saga among many concurrent checkouts', async () => {
      const store = await withOrder();
      const begins = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.beginCheckout('o1', newSaga(`s${i}`))),
      );
      const started = begins.filter((b) => b.kind === 'started');
      expect(started).toHaveLength(1);
      const sagaId = started[0]?.kind === 'started' ? started[0].saga.sagaId : '';
      expect(begins.filter((b) => b.kind === 'running')).toEqual(Array(19).fill({ kind: 'running', sagaId }));
    });
  });

  describe('transition', () => {
    it('commits: the order is paid, closed to items, and the lease ends', async () => {
      const store = await withOrder();
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.transition(saga, 'COMMITTED')).toBe(true);
      expect(await store.findSaga('s1')).toEqual({ ...saga, state: 'COMMITTED' });
      expect(await store.findOrder('o1')).toMatchObject({ paid: true, items: O1_LINES, totalCost: 13 });
      expect(await store.addItem('o1', 'c', 1, 1)).toEqual(refused('order_paid'));
      expect(await store.expiredSagas(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    });

    it('aborts: ABORTING keeps the freeze, the lease and the reason; ABORTED frees the order unpaid', async () => {
      const store = await withOrder();
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.transition(saga, 'ABORTING', 'insufficient_credit')).toBe(true);
      const aborting: Saga = { ...saga, state: 'ABORTING', reason: 'insufficient_credit' };
      expect(await store.findSaga('s1')).toEqual(aborting);
      expect(await store.addItem('o1', 'c', 1, 1)).toEqual(refused('checkout_running'));
      expect(await store.expiredSagas(1_001, 10)).toEqual(['s1']);
      expect(await store.transition(aborting, 'ABORTED')).toBe(true);
      expect(await store.findSaga('s1')).toEqual({ ...aborting, state: 'ABORTED' });
      expect(await store.findOrder('o1')).toMatchObject({ paid: false, totalCost: 13 });
      expect(await store.expiredSagas(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      expect(await store.addItem('o1', 'c', 1, 1)).toEqual(OK);
    });

    it('answers a resent transition true and changes nothing', async () => {
      const store = await withOrder();
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.transition(saga, 'ABORTING', 'insufficient_stock')).toBe(true);
      expect(await store.transition(saga, 'ABORTING', 'insufficient_stock')).toBe(true);
      const aborting: Saga = { ...saga, state: 'ABORTING', reason: 'insufficient_stock' };
      expect(await store.findSaga('s1')).toEqual(aborting);
      expect(await store.transition(aborting, 'ABORTED')).toBe(true);
      expect(await store.transition(aborting, 'ABORTED')).toBe(true);
      expect(await store.findSaga('s1')).toEqual({ ...aborting, state: 'ABORTED' });

      await store.createOrder('o2', 'u1');
      const other = await startCheckout(store, 'o2', 's2');
      expect(await store.transition(other, 'COMMITTED')).toBe(true);
      expect(await store.transition(other, 'COMMITTED')).toBe(true);
      expect(await store.findSaga('s2')).toMatchObject({ state: 'COMMITTED', epoch: 1 });
      expect(await store.findOrder('o2')).toMatchObject({ paid: true });
    });

    it('refuses a step its state does not allow', async () => {
      const store = await withOrder();
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.transition(saga, 'ABORTED')).toBe(false);
      expect(await store.findSaga('s1')).toEqual(saga);
      expect(await store.findOrder('o1')).toMatchObject({ paid: false });
      expect(await store.transition(saga, 'COMMITTED')).toBe(true);
      const committed: Saga = { ...saga, state: 'COMMITTED' };
      expect(await store.transition(committed, 'ABORTING', 'insufficient_stock')).toBe(false);
      expect(await store.transition(committed, 'ABORTED')).toBe(false);
      expect(await store.findSaga('s1')).toEqual(committed);
      expect(await store.findOrder('o1')).toMatchObject({ paid: true });
    });

    it('refuses a step from a state the saga has left', async () => {
      const store = await withOrder();
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.transition(saga, 'ABORTING', 'checkout_timeout')).toBe(true);
      expect(await store.transition(saga, 'COMMITTED')).toBe(false);
      expect(await store.findSaga('s1')).toMatchObject({ state: 'ABORTING', reason: 'checkout_timeout' });
      expect(await store.findOrder('o1')).toMatchObject({ paid: false });
      expect(await store.addItem('o1', 'c', 1, 1)).toEqual(refused('checkout_running'));
    });

    it('fences off an owner whose epoch is stale, even for a resend', async () => {
      const store = await withOrder();
      const stale = await startCheckout(store, 'o1', 's1');
      const current = await store.takeOver('s1', 'owner-2', 2_000, 3_000);
      if (current === undefined) throw new Error('takeOver failed');
      expect(await store.transition(stale, 'COMMITTED')).toBe(false);
      expect(await store.findSaga('s1')).toEqual(current);
      expect(await store.findOrder('o1')).toMatchObject({ paid: false });
      expect(await store.transition(current, 'COMMITTED')).toBe(true);
      expect(await store.transition(stale, 'COMMITTED')).toBe(false);
      expect(await store.findSaga('s1')).toEqual({ ...current, state: 'COMMITTED' });
      expect(await store.findOrder('o1')).toMatchObject({ paid: true });
    });

    it('answers false for an unknown saga', async () => {
      const store = await withOrder();
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.transition({ ...saga, sagaId: 'ghost' }, 'COMMITTED')).toBe(false);
      expect(await store.findSaga('ghost')).toBeUndefined();
      expect(await store.findOrder('o1')).toMatchObject({ paid: false });
    });
  });
}
