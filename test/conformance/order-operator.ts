/**
 * What operators read and do in the order store (sagasOfOrder, listSagas, cancelSaga, the
 * journal riding on begin/takeOver/transition), part of the order store conformance suite
 * (order.ts): the Redis and SQLite stores must answer alike.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ownerLine, readJournal, transitionLine } from '../../src/services/order/journal.js';
import type { OrderStore, Saga, SagaQuery, SagaRecord } from '../../src/services/order/store.js';
import { PAST_SHORT_TTL_MS, SHORT_TTL_MS, freshStores, type OpenStore } from './harness.js';
import { startCheckout, storesWithOrders } from './order-saga.js';

/** Every saga of a listing, following cursors to the end (bounded, so a bug cannot loop). */
async function listAll(store: OrderStore, query: Omit<SagaQuery, 'cursor'>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await store.listSagas(cursor === undefined ? query : { ...query, cursor });
    if (result === undefined) throw new Error(`cursor ${cursor} refused`);
    expect(result.sagas.length).toBeLessThanOrEqual(query.limit);
    ids.push(...result.sagas.map((s) => s.sagaId));
    if (result.cursor === undefined) return ids.sort();
    cursor = result.cursor;
  }
  throw new Error('listing did not end');
}

export function describeOrderOperator(open: OpenStore<OrderStore>): void {
  const withOrders = storesWithOrders(freshStores(open));

  describe('journal and saga links', () => {
    it('keeps an order linked to its sagas after they finish, newest first', async () => {
      const store = await withOrders(1);
      const first = await startCheckout(store, 'o1', 's1', { startedAt: 100, journal: ownerLine('a', 100) });
      expect(await store.transition(first, 'ABORTING', 'insufficient_credit')).toBe(true);
      expect(await store.transition({ ...first, state: 'ABORTING' }, 'ABORTED')).toBe(true);
      const second = await startCheckout(store, 'o1', 's2', { startedAt: 200 });
      expect(await store.transition(second, 'COMMITTED')).toBe(true);

      const sagas = await store.sagasOfOrder('o1');
      expect(sagas?.map((s) => [s.sagaId, s.state, s.reason, s.startedAt])).toEqual([
        ['s2', 'COMMITTED', undefined, 200],
        ['s1', 'ABORTED', 'insufficient_credit', 100],
      ]);
      expect(await store.sagasOfOrder('o2')).toBeUndefined();
    });

    it('answers an order without sagas with none', async () => {
      const store = await withOrders(1);
      expect(await store.sagasOfOrder('o1')).toEqual([]);
    });

    it('appends the journal lines of begin, takeover and transitions, and only when they apply', async () => {
      const store = await withOrders(1);
      const saga = await startCheckout(store, 'o1', 's1', {
        startedAt: 1_000,
        leaseUntil: 1_500,
        journal: ownerLine('a', 1_000),
      });
      // Refused (lease not expired, stale epoch): nothing appended.
      expect(await store.takeOver('s1', 'b', 1_200, 3_000, ownerLine('b', 1_200))).toBeUndefined();
      const taken = await store.takeOver('s1', 'b', 2_000, 3_000, ownerLine('b', 2_000));
      expect(taken?.epoch).toBe(2);
      const step = {
        step: 'reserve' as const,
        firstSentAt: 2_001,
        resends: 2,
        answeredAt: 2_050,
        answer: 'ok',
      };
      expect(
        await store.transition(
          saga,
          'COMMITTED',
          undefined,
          transitionLine('COMMITTED', 2_100, undefined, []),
        ),
      ).toBe(false);
      const line = transitionLine('COMMITTED', 2_100, undefined, [step]);
      expect(await store.transition({ ...saga, epoch: 2, owner: 'b' }, 'COMMITTED', undefined, line)).toBe(
        true,
      );
      // A resend of the transition changes nothing, the journal included.
      expect(await store.transition({ ...saga, epoch: 2, owner: 'b' }, 'COMMITTED', undefined, line)).toBe(
        true,
      );

      const [record] = (await store.sagasOfOrder('o1')) ?? [];
      expect(readJournal(record?.journal ?? '')).toEqual([
        { kind: 'owner', owner: 'a', at: 1_000, epoch: 1, operator: false },
        { kind: 'owner', owner: 'b', at: 2_000, epoch: 2, operator: false },
        { kind: 'transition', to: 'COMMITTED', at: 2_100, epoch: 2, reason: undefined, steps: [step] },
      ]);
    });

    it('forgets a finished saga after recordTtlMs but keeps the order', async () => {
      const store = await withOrders(1, { recordTtlMs: SHORT_TTL_MS });
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.transition(saga, 'COMMITTED')).toBe(true);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.sagasOfOrder('o1')).toEqual([]);
    });
  });

  describe('cancelSaga', () => {
    it('aborts a RUNNING saga for the operator at epoch + 1, owned by the canceller', async () => {
      const store = await withOrders(1);
      const saga = await startCheckout(store, 'o1', 's1', {
        leaseUntil: 1_000,
        journal: ownerLine('a', 500),
      });
      const journal = ownerLine('ops', 600, true) + transitionLine('ABORTING', 600, 'operator', []);
      const cancel = await store.cancelSaga('s1', 'ops', 9_000, journal);
      const cancelled: Saga = {
        ...saga,
        state: 'ABORTING',
        reason: 'operator',
        epoch: 2,
        owner: 'ops',
        leaseUntil: 9_000,
      };
      expect(cancel).toEqual({ kind: 'cancelled', saga: cancelled });
      expect(await store.findSaga('s1')).toEqual(cancelled);
      // The old owner is fenced off: its commit cannot apply.
      expect(await store.transition(saga, 'COMMITTED')).toBe(false);
      expect(await store.findOrder('o1')).toMatchObject({ paid: false });
      // The lease index follows the new lease.
      expect(await store.expiredSagas(8_999, 10)).toEqual([]);
      expect(await store.expiredSagas(9_001, 10)).toEqual(['s1']);
      const [record] = (await store.sagasOfOrder('o1')) ?? [];
      expect(readJournal(record?.journal ?? '').map((e) => [e.kind, e.epoch])).toEqual([
        ['owner', 1],
        ['owner', 2],
        ['transition', 2],
      ]);
      expect(await store.transition(cancelled, 'ABORTED')).toBe(true);
      expect(await store.findOrder('o1')).toMatchObject({ paid: false });
      expect(await store.addItem('o1', 'i', 1, 1)).toEqual({ ok: true });
    });

    it('refuses a saga that is not RUNNING and changes nothing', async () => {
      const store = await withOrders(2);
      const saga = await startCheckout(store, 'o1', 's1');
      expect(await store.transition(saga, 'ABORTING', 'insufficient_stock')).toBe(true);
      expect(await store.cancelSaga('s1', 'ops', 9_000, ownerLine('ops', 1, true))).toEqual({
        kind: 'not_running',
        state: 'ABORTING',
      });
      expect(await store.findSaga('s1')).toMatchObject({ epoch: 1, reason: 'insufficient_stock' });
      const other = await startCheckout(store, 'o2', 's2');
      expect(await store.transition(other, 'COMMITTED')).toBe(true);
      expect(await store.cancelSaga('s2', 'ops', 9_000, '')).toEqual({
        kind: 'not_running',
        state: 'COMMITTED',
      });
      expect(await store.cancelSaga('ghost', 'ops', 9_000, '')).toEqual({ kind: 'not_found' });
    });
  });

  describe('listSagas', () => {
    /** o1..o6: s1, s2 RUNNING (started 100, 200), s3 ABORTING (300), s4 COMMITTED (400), s5 ABORTED (500), s6 RUNNING (600). */
    async function withSagas(): Promise<OrderStore> {
      const store = await withOrders(6);
      const sagas = [];
      for (let i = 1; i <= 6; i++)
        sagas.push(await startCheckout(store, `o${i}`, `s${i}`, { startedAt: i * 100 }));
      const [, , s3, s4, s5] = sagas;
      if (!s3 || !s4 || !s5) throw new Error('no sagas');
      await store.transition(s3, 'ABORTING', 'insufficient_stock');
      await store.transition(s4, 'COMMITTED');
      await store.transition(s5, 'ABORTING', 'insufficient_credit');
      await store.transition({ ...s5, state: 'ABORTING' }, 'ABORTED');
      return store;
    }

    it('lists sagas by state', async () => {
      const store = await withSagas();
      expect(await listAll(store, { state: 'RUNNING', limit: 10 })).toEqual(['s1', 's2', 's6']);
      expect(await listAll(store, { state: 'ABORTING', limit: 10 })).toEqual(['s3']);
      expect(await listAll(store, { state: 'COMMITTED', limit: 10 })).toEqual(['s4']);
      expect(await listAll(store, { state: 'ABORTED', limit: 10 })).toEqual(['s5']);
      expect(await listAll(store, { limit: 10 })).toEqual(['s1', 's2', 's3', 's4', 's5', 's6']);
    });

    it('lists only sagas started before a time', async () => {
      const store = await withSagas();
      expect(await listAll(store, { state: 'RUNNING', startedBefore: 250, limit: 10 })).toEqual(['s1', 's2']);
      expect(await listAll(store, { startedBefore: 450, limit: 10 })).toEqual(['s1', 's2', 's3', 's4']);
    });

    it('pages through every saga once, a page at most `limit` long', async () => {
      const store = await withSagas();
      expect(await listAll(store, { state: 'RUNNING', limit: 1 })).toEqual(['s1', 's2', 's6']);
      expect(await listAll(store, { limit: 2 })).toEqual(['s1', 's2', 's3', 's4', 's5', 's6']);
    });

    it('answers the full saga records', async () => {
      const store = await withSagas();
      const page = await store.listSagas({ state: 'ABORTING', limit: 10 });
      const expected: Partial<SagaRecord> = {
        sagaId: 's3',
        orderId: 'o3',
        state: 'ABORTING',
        reason: 'insufficient_stock',
        startedAt: 300,
        epoch: 1,
      };
      expect(page?.sagas).toEqual([expect.objectContaining(expected)]);
    });

    it('refuses a cursor it did not make', async () => {
      const store = await withSagas();
      expect(await store.listSagas({ state: 'RUNNING', limit: 1, cursor: 'nonsense' })).toBeUndefined();
      expect(await store.listSagas({ limit: 1, cursor: 'nonsense' })).toBeUndefined();
    });
  });
}
