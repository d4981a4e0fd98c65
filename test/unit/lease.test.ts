/**
 * The lease keeper (src/services/order/lease.ts): one timer for every saga a replica drives,
 * renewing each lease before it runs out, noticing a takeover, and idle when nothing is held.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLog } from '../../src/lib/log.js';
import { createLeaseKeeper } from '../../src/services/order/lease.js';
import type { OrderStore, Saga } from '../../src/services/order/store.js';
import { openSqliteOrderStore } from '../../src/services/order/store.sqlite.js';

const LEASE_MS = 120;
const stores: OrderStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** Checks order `orderId` out in `store`: the saga, owned by 'a' with a fresh lease. */
async function beginIn(store: OrderStore, orderId: string): Promise<Saga> {
  await store.putOrders([{ orderId, userId: 'u', items: [['i', 1]], totalCost: 1 }]);
  const now = Date.now();
  const begin = await store.beginCheckout(orderId, {
    sagaId: `saga-${orderId}`,
    owner: 'a',
    leaseUntil: now + LEASE_MS,
    deadline: now + 60_000,
  });
  if (begin.kind !== 'started') throw new Error(`begin answered ${begin.kind}`);
  return begin.saga;
}

/** A store with one order checked out. */
async function begun(orderId = 'o'): Promise<{ store: OrderStore; saga: Saga }> {
  const store = openSqliteOrderStore(':memory:', { recordTtlMs: 60_000 });
  stores.push(store);
  return { store, saga: await beginIn(store, orderId) };
}

describe('lease keeper', () => {
  it('renews a held lease before it runs out, for as long as it is held', async () => {
    const { store, saga } = await begun();
    const keeper = createLeaseKeeper(store, LEASE_MS, silentLog());
    const lease = keeper.keep(saga);
    await sleep(LEASE_MS * 3);
    // Three lease lengths later nobody could take it over: it was renewed all along.
    expect(await store.takeOver(saga.sagaId, 'b', Date.now(), Date.now() + LEASE_MS)).toBeUndefined();
    const stored = await store.findSaga(saga.sagaId);
    expect(stored?.leaseUntil).toBeGreaterThan(saga.leaseUntil + LEASE_MS);
    expect(lease.lost).toBe(false);
    lease.stop();
    expect(keeper.held()).toBe(0);
  });

  it('counts from the lease as stored: a saga kept late (its begin answered slowly) is renewed in time', async () => {
    const { store, saga } = await begun();
    // The begin step took most of the lease: a third of it is left when the driver starts.
    await sleep(LEASE_MS * 0.65);
    const keeper = createLeaseKeeper(store, LEASE_MS, silentLog());
    const lease = keeper.keep(saga);
    await sleep(LEASE_MS * 0.6);
    expect(await store.takeOver(saga.sagaId, 'b', Date.now(), Date.now() + LEASE_MS)).toBeUndefined();
    expect(lease.lost).toBe(false);
    lease.stop();
  });

  it('stops renewing once stopped: the lease then runs out', async () => {
    const { store, saga } = await begun();
    const keeper = createLeaseKeeper(store, LEASE_MS, silentLog());
    keeper.keep(saga).stop();
    await sleep(LEASE_MS * 2);
    expect((await store.takeOver(saga.sagaId, 'b', Date.now(), Date.now() + LEASE_MS))?.owner).toBe('b');
  });

  it('marks a lease lost when another replica took the saga over, and lets it go', async () => {
    const { store, saga } = await begun();
    const keeper = createLeaseKeeper(store, LEASE_MS, silentLog());
    const lease = keeper.keep(saga);
    // An operator's retry: taken over now, whatever the lease.
    expect(
      await store.takeOver(saga.sagaId, 'b', Number.MAX_SAFE_INTEGER, Date.now() + LEASE_MS),
    ).toBeDefined();
    await sleep(LEASE_MS);
    expect(lease.lost).toBe(true);
    expect(keeper.held()).toBe(0);
  });

  it('keeps the leases of many sagas with one keeper, each on its own', async () => {
    const one = await begun('o1');
    const keeper = createLeaseKeeper(one.store, LEASE_MS, silentLog());
    const second = await beginIn(one.store, 'o2');
    const first = keeper.keep(one.saga);
    keeper.keep(second).stop();
    expect(keeper.held()).toBe(1);
    await sleep(LEASE_MS * 2);
    const takeOver = (sagaId: string) => one.store.takeOver(sagaId, 'b', Date.now(), Date.now() + LEASE_MS);
    expect(await takeOver('saga-o1')).toBeUndefined();
    expect((await takeOver('saga-o2'))?.owner).toBe('b');
    first.stop();
  });
});
