/**
 * Saga leases in the order store (renewLease, takeOver, expiredSagas) and the lifetime of
 * saga records, part of the order store conformance suite (order.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { OrderStore, Saga } from '../../src/services/order/store.js';
import { PAST_SHORT_TTL_MS, SHORT_TTL_MS, freshStores, type OpenStore } from './harness.js';
import { abortCheckout, commitCheckout, startCheckout, storesWithOrders } from './order-saga.js';

export function describeOrderLeases(open: OpenStore<OrderStore>): void {
  const withOrders = storesWithOrders(freshStores(open));

  describe('renewLease', () => {
    it('extends the lease of a RUNNING saga at its current epoch', async () => {
      const store = await withOrders(1);
      const saga = await startCheckout(store, 'o1', 's1', { leaseUntil: 1_000 });
      expect(await store.renewLease('s1', 1, 2_000)).toBe(true);
      expect(await store.findSaga('s1')).toEqual({ ...saga, leaseUntil: 2_000 });
      expect(await store.expiredSagas(1_500, 10)).toEqual([]);
      expect(await store.expiredSagas(2_001, 10)).toEqual(['s1']);
    });

    it('extends the lease of an ABORTING saga', async () => {
      const store = await withOrders(1);
      const saga = await startCheckout(store, 'o1', 's1');
      await store.transition(saga, 'ABORTING', 'insufficient_stock');
      expect(await store.renewLease('s1', 1, 2_000)).toBe(true);
      expect(await store.findSaga('s1')).toMatchObject({ state: 'ABORTING', leaseUntil: 2_000 });
    });

    it('refuses a stale epoch and changes nothing', async () => {
      const store = await withOrders(1);
      await startCheckout(store, 'o1', 's1');
      const current = await store.takeOver('s1', 'owner-2', 1_500, 2_000);
      expect(await store.renewLease('s1', 1, 9_000)).toBe(false);
      expect(await store.findSaga('s1')).toEqual(current);
      expect(await store.expiredSagas(2_001, 10)).toEqual(['s1']);
    });

    it('refuses finished and unknown sagas', async () => {
      const store = await withOrders(2);
      const committed = await commitCheckout(store, 'o1', 's1');
      const aborted = await abortCheckout(store, await startCheckout(store, 'o2', 's2'));
      expect(await store.renewLease('s1', 1, 9_000)).toBe(false);
      expect(await store.renewLease('s2', 1, 9_000)).toBe(false);
      expect(await store.renewLease('ghost', 1, 9_000)).toBe(false);
      expect(await store.findSaga('s1')).toEqual(committed);
      expect(await store.findSaga('s2')).toEqual(aborted);
      expect(await store.findSaga('ghost')).toBeUndefined();
      expect(await store.expiredSagas(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    });
  });

  describe('takeOver', () => {
    it('claims a saga whose lease expired: epoch + 1, new owner and lease', async () => {
      const store = await withOrders(1);
      const saga = await startCheckout(store, 'o1', 's1', { leaseUntil: 1_000 });
      const expected: Saga = { ...saga, epoch: 2, owner: 'owner-2', leaseUntil: 3_000 };
      expect(await store.takeOver('s1', 'owner-2', 1_001, 3_000)).toEqual(expected);
      expect(await store.findSaga('s1')).toEqual(expected);
      expect(await store.expiredSagas(2_000, 10)).toEqual([]);
      expect(await store.expiredSagas(3_001, 10)).toEqual(['s1']);
    });

    it('refuses while the lease lasts, up to and including leaseUntil', async () => {
      const store = await withOrders(1);
      const saga = await startCheckout(store, 'o1', 's1', { leaseUntil: 1_000 });
      expect(await store.takeOver('s1', 'owner-2', 999, 3_000)).toBeUndefined();
      expect(await store.takeOver('s1', 'owner-2', 1_000, 3_000)).toBeUndefined();
      expect(await store.findSaga('s1')).toEqual(saga);
    });

    it('lets only one of two claimants win, and the next only after the new lease expires', async () => {
      const store = await withOrders(1);
      await startCheckout(store, 'o1', 's1', { leaseUntil: 1_000 });
      const [first, second] = await Promise.all([
        store.takeOver('s1', 'owner-2', 2_000, 3_000),
        store.takeOver('s1', 'owner-3', 2_000, 3_000),
      ]);
      expect([first, second].filter((s) => s !== undefined)).toHaveLength(1);
      expect((await store.findSaga('s1'))?.epoch).toBe(2);
      expect(await store.takeOver('s1', 'owner-4', 3_001, 4_000)).toMatchObject({
        epoch: 3,
        owner: 'owner-4',
      });
    });

    it('claims an ABORTING saga, keeping its reason', async () => {
      const store = await withOrders(1);
      const saga = await startCheckout(store, 'o1', 's1');
      await store.transition(saga, 'ABORTING', 'insufficient_credit');
      expect(await store.takeOver('s1', 'owner-2', 5_000, 6_000)).toMatchObject({
        state: 'ABORTING',
        reason: 'insufficient_credit',
        epoch: 2,
        owner: 'owner-2',
      });
    });

    it('refuses finished and unknown sagas', async () => {
      const store = await withOrders(2);
      const committed = await commitCheckout(store, 'o1', 's1');
      const aborted = await abortCheckout(store, await startCheckout(store, 'o2', 's2'));
      expect(await store.takeOver('s1', 'owner-2', 5_000, 6_000)).toBeUndefined();
      expect(await store.takeOver('s2', 'owner-2', 5_000, 6_000)).toBeUndefined();
      expect(await store.takeOver('ghost', 'owner-2', 5_000, 6_000)).toBeUndefined();
      expect(await store.findSaga('s1')).toEqual(committed);
      expect(await store.findSaga('s2')).toEqual(aborted);
    });
  });

  describe('expiredSagas', () => {
    it('lists unfinished sagas whose lease ended before now, oldest lease first, up to limit', async () => {
      const store = await withOrders(5);
      await startCheckout(store, 'o1', 's1', { leaseUntil: 400 });
      await startCheckout(store, 'o2', 's2', { leaseUntil: 100 });
      const s3 = await startCheckout(store, 'o3', 's3', { leaseUntil: 300 });
      await store.transition(s3, 'ABORTING', 'insufficient_stock');
      await store.transition(await startCheckout(store, 'o4', 's4', { leaseUntil: 200 }), 'COMMITTED');
      await abortCheckout(store, await startCheckout(store, 'o5', 's5', { leaseUntil: 50 }));
      expect(await store.expiredSagas(100, 10)).toEqual([]);
      expect(await store.expiredSagas(101, 10)).toEqual(['s2']);
      expect(await store.expiredSagas(350, 10)).toEqual(['s2', 's3']);
      expect(await store.expiredSagas(10_000, 10)).toEqual(['s2', 's3', 's1']);
      expect(await store.expiredSagas(10_000, 2)).toEqual(['s2', 's3']);
    });
  });

  describe('countStuck', () => {
    it('counts unfinished sagas past their deadline by state, and nothing finished', async () => {
      const store = await withOrders(5);
      await startCheckout(store, 'o1', 's1', { deadline: 100 });
      await startCheckout(store, 'o2', 's2', { deadline: 5_000 });
      const aborting = await startCheckout(store, 'o3', 's3', { deadline: 200 });
      expect(await store.transition(aborting, 'ABORTING', 'insufficient_stock')).toBe(true);
      await commitCheckout(store, 'o4', 's4');
      await abortCheckout(store, await startCheckout(store, 'o5', 's5', { deadline: 50 }));
      expect(await store.countStuck(50, 100)).toEqual({ RUNNING: 0, ABORTING: 0 });
      expect(await store.countStuck(150, 100)).toEqual({ RUNNING: 1, ABORTING: 0 });
      expect(await store.countStuck(1_000, 100)).toEqual({ RUNNING: 1, ABORTING: 1 });
      expect(await store.countStuck(10_000, 100)).toEqual({ RUNNING: 2, ABORTING: 1 });
    });

    it('looks at no more than `limit` unfinished sagas', async () => {
      const store = await withOrders(3);
      for (let i = 1; i <= 3; i++) await startCheckout(store, `o${i}`, `s${i}`, { deadline: 10 });
      const { RUNNING, ABORTING } = await store.countStuck(1_000, 2);
      expect(RUNNING + ABORTING).toBe(2);
    });
  });

  describe('saga record lifetime', () => {
    it('never forgets an unfinished saga, whatever recordTtlMs', async () => {
      const store = await withOrders(2, { recordTtlMs: SHORT_TTL_MS });
      const running = await startCheckout(store, 'o1', 's1');
      const other = await startCheckout(store, 'o2', 's2', { leaseUntil: 2_000 });
      expect(await store.transition(other, 'ABORTING', 'insufficient_stock')).toBe(true);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.findSaga('s1')).toEqual(running);
      expect(await store.findSaga('s2')).toMatchObject({ state: 'ABORTING' });
      expect(await store.expiredSagas(10_000, 10)).toEqual(['s1', 's2']);
      expect(await store.transition(running, 'COMMITTED')).toBe(true);
      expect(await store.findOrder('o1')).toMatchObject({ paid: true });
      expect(
        await store.beginCheckout('o2', { sagaId: 's3', owner: 'x', leaseUntil: 1, deadline: 1 }),
      ).toEqual({
        kind: 'running',
        sagaId: 's2',
      });
    });
  });
}
