/**
 * A checkout's Idempotency-Key (beginCheckout with an op id), part of the order store
 * conformance suite (order.ts): the key is bound, in the begin step itself, to its request's
 * fingerprint and to what that first call answered; the same request replays it, another
 * request is refused, and a concurrent duplicate never starts a second saga.
 */
import { describe, expect, it } from 'vitest';
import { OK, refused } from '../../src/lib/outcome.js';
import type { OrderStore } from '../../src/services/order/store.js';
import { freshStores, type OpenStore } from './harness.js';
import { abortCheckout, newSaga, startCheckout } from './order-saga.js';

const CHECKOUT_O1 = 'POST /orders/checkout/o1';

export function describeOrderCheckoutKeys(open: OpenStore<OrderStore>): void {
  const fresh = freshStores(open);

  async function withOrder(): Promise<OrderStore> {
    const store = await fresh();
    await store.createOrder('o1', 'u1');
    await store.addItem('o1', 'a', 2, 3);
    return store;
  }

  describe('beginCheckout with an Idempotency-Key', () => {
    it('replays the first saga to the same request, even after it aborted and the order moved on', async () => {
      const store = await withOrder();
      const begin = await store.beginCheckout('o1', newSaga('s1'), 'k', CHECKOUT_O1);
      expect(begin).toMatchObject({ kind: 'started', saga: { sagaId: 's1', state: 'RUNNING' } });
      const first = begin.kind === 'started' ? begin.saga : await startCheckout(store, 'o1', 'never');
      await abortCheckout(store, first);
      // Without the key the order checks out anew; with it, the answer stays the first saga's.
      await startCheckout(store, 'o1', 's2');
      expect(await store.beginCheckout('o1', newSaga('s3'), 'k', CHECKOUT_O1)).toEqual({
        kind: 'running',
        sagaId: 's1',
      });
      expect(await store.findSaga('s3')).toBeUndefined();
      expect(await store.findSaga('s1')).toMatchObject({ state: 'ABORTED', reason: 'insufficient_stock' });
    });

    it('binds a key that joined a running saga to that saga', async () => {
      const store = await withOrder();
      const running = await startCheckout(store, 'o1', 's1');
      expect(await store.beginCheckout('o1', newSaga('s2'), 'k', CHECKOUT_O1)).toEqual({
        kind: 'running',
        sagaId: 's1',
      });
      await abortCheckout(store, running);
      expect(await store.beginCheckout('o1', newSaga('s3'), 'k', CHECKOUT_O1)).toEqual({
        kind: 'running',
        sagaId: 's1',
      });
      expect(await store.findSaga('s3')).toBeUndefined();
      expect(await store.findOrder('o1')).toMatchObject({ paid: false });
      expect(await store.addItem('o1', 'b', 1, 1)).toEqual(OK);
    });

    it('replays paid and not_found, and starts nothing', async () => {
      const store = await withOrder();
      expect(await store.beginCheckout('o2', newSaga('s1'), 'k-ghost', 'POST /orders/checkout/o2')).toEqual({
        kind: 'not_found',
      });
      await store.createOrder('o2', 'u1');
      expect(await store.beginCheckout('o2', newSaga('s2'), 'k-ghost', 'POST /orders/checkout/o2')).toEqual({
        kind: 'not_found',
      });
      const saga = await startCheckout(store, 'o1', 's3');
      expect(await store.transition(saga, 'COMMITTED')).toBe(true);
      expect(await store.beginCheckout('o1', newSaga('s4'), 'k-paid', CHECKOUT_O1)).toEqual({ kind: 'paid' });
      expect(await store.beginCheckout('o1', newSaga('s5'), 'k-paid', CHECKOUT_O1)).toEqual({ kind: 'paid' });
      for (const id of ['s1', 's2', 's4', 's5']) expect(await store.findSaga(id)).toBeUndefined();
    });

    it('refuses the key on another request, and changes nothing', async () => {
      const store = await withOrder();
      await store.createOrder('o2', 'u1');
      await store.addItem('o2', 'a', 1, 3);
      await startCheckout(store, 'o1', 's1');
      expect(await store.beginCheckout('o1', newSaga('s2'), 'k', CHECKOUT_O1)).toEqual({
        kind: 'running',
        sagaId: 's1',
      });
      // Another order's checkout, and the same path with another method, are other requests.
      for (const fingerprint of ['POST /orders/checkout/o2', 'PUT /orders/checkout/o1']) {
        expect(await store.beginCheckout('o2', newSaga('s3'), 'k', fingerprint)).toEqual({
          kind: 'key_reused',
        });
      }
      expect(await store.findSaga('s3')).toBeUndefined();
      expect(await store.addItem('o2', 'b', 1, 1)).toEqual(OK);
    });

    it('shares one key space with addItem and createOrder: a key of either is refused, and theirs too', async () => {
      const store = await withOrder();
      await store.createOrder('o2', 'u1', 'k-create', 'POST /orders/create/u1');
      expect(await store.addItem('o1', 'b', 1, 1, 'k-add', 'POST /orders/addItem/o1/b/1')).toEqual(OK);
      for (const key of ['k-create', 'k-add']) {
        expect(await store.beginCheckout('o1', newSaga(`s-${key}`), key, CHECKOUT_O1)).toEqual({
          kind: 'key_reused',
        });
        expect(await store.findSaga(`s-${key}`)).toBeUndefined();
      }
      expect(await store.findOrder('o1')).toMatchObject({ paid: false, totalCost: 7 });
      expect(await store.addItem('o1', 'c', 1, 1)).toEqual(OK);
      await startCheckout(store, 'o1', 's1', {});
      const checkoutKey = await store.beginCheckout('o1', newSaga('s2'), 'k-out', CHECKOUT_O1);
      expect(checkoutKey).toEqual({ kind: 'running', sagaId: 's1' });
      expect(await store.addItem('o2', 'a', 1, 3, 'k-out', 'POST /orders/addItem/o2/a/1')).toEqual(
        refused('idempotency_key_reused'),
      );
      expect(await store.createOrder('o3', 'u1', 'k-out', 'POST /orders/create/u1')).toEqual(
        refused('idempotency_key_reused'),
      );
      expect(await store.findOrder('o2')).toMatchObject({ items: [], totalCost: 0 });
      expect(await store.findOrder('o3')).toBeUndefined();
    });

    it('answers a resend of the very call (same saga id) with the saga as stored', async () => {
      const store = await withOrder();
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.beginCheckout('o1', newSaga('s2'), 'k', CHECKOUT_O1)).toEqual({
        kind: 'running',
        sagaId: 's1',
      });
      const keyed = await store.beginCheckout('o2', newSaga('t1'), 'k2', 'POST /orders/checkout/o2');
      expect(keyed).toEqual({ kind: 'not_found' });
      await abortCheckout(store, saga);
      const started = await store.beginCheckout('o1', newSaga('s3'), 'k3', CHECKOUT_O1);
      expect(started).toMatchObject({ kind: 'started', saga: { sagaId: 's3', epoch: 1 } });
      expect(await store.beginCheckout('o1', newSaga('s3', { owner: 'x' }), 'k3', CHECKOUT_O1)).toEqual(
        started,
      );
      // ...and binds nothing new: the key is still the first request's.
      expect(await store.beginCheckout('o2', newSaga('s4'), 'k3', 'POST /orders/checkout/o2')).toEqual({
        kind: 'key_reused',
      });
    });

    it('starts one saga among many concurrent checkouts with the same key', async () => {
      const store = await withOrder();
      const begins = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.beginCheckout('o1', newSaga(`s${i}`), 'k', CHECKOUT_O1)),
      );
      const started = begins.filter((b) => b.kind === 'started');
      expect(started).toHaveLength(1);
      const sagaId = started[0]?.kind === 'started' ? started[0].saga.sagaId : '';
      expect(begins.filter((b) => b.kind === 'running')).toEqual(Array(19).fill({ kind: 'running', sagaId }));
      // Each of them stays bound to that saga after it ended.
      const saga = await store.findSaga(sagaId);
      if (saga === undefined) throw new Error(`saga ${sagaId} is gone`);
      await abortCheckout(store, saga);
      expect(await store.beginCheckout('o1', newSaga('late'), 'k', CHECKOUT_O1)).toEqual({
        kind: 'running',
        sagaId,
      });
    });
  });
}
