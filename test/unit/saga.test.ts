/**
 * The saga's decisive moments, one at a time: the deadline, joining across replicas, and a
 * stalled owner fenced off by the replica that took its saga over.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Commands, Participant } from '../../src/bus/bus.js';
import type { DeliveryFaults } from '../../src/bus/local.js';
import { silentLog } from '../../src/lib/log.js';
import { OK, refused } from '../../src/lib/outcome.js';
import { startSweeper } from '../../src/services/order/recovery.js';
import { createCheckout } from '../../src/services/order/saga.js';
import type { OrderStore } from '../../src/services/order/store.js';
import { sagaWorld } from '../support/saga-world.js';

const TIMING = { leaseMs: 60, attemptMs: 20, deadlineMs: 300, sweepMs: 10, retryMaxMs: 20 };
const later = <T>(ms: number, value: Promise<T>): Promise<T> => value.then((v) => sleep(ms).then(() => v));
const log = silentLog();

type Fate = (to: Participant, command: Commands[Participant]) => number[];

async function world(fate: Fate, timing = TIMING) {
  const faults: DeliveryFaults = { command: fate, reply: () => [0] };
  const { stock, payment, orders, bus } = await sagaWorld(['o'], faults);
  const replica = (owner: string, store: OrderStore = orders) =>
    createCheckout({ store, bus, owner, timing, log });
  return { stock, payment, orders, bus, replica };
}

describe('checkout saga', () => {
  it('aborts at the deadline when a participant never answers, and gives everything back', async () => {
    let chargeSaga = '';
    const w = await world((_to, command) => {
      if (command.type !== 'charge') return [0];
      chargeSaga = command.sagaId;
      return [];
    });
    const started = Date.now();
    expect(await w.replica('a').checkout('o')).toEqual(refused('checkout_timeout'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMING.deadlineMs - 5);
    expect((await w.stock.findItem('i'))?.stock).toBe(10);
    expect(await w.payment.findCredit('u')).toBe(100);
    expect((await w.orders.findOrder('o'))?.paid).toBe(false);
    // The charge that never arrived is tombstoned: were it delivered now, it would do nothing.
    expect(await w.payment.charge(chargeSaga, 'o', 'u', 8)).toEqual(refused('compensated'));
    expect(await w.payment.findCredit('u')).toBe(100);
    await w.bus.close();
  });

  it('lets a replica join a checkout another replica is running, with the same answer', async () => {
    const w = await world((_to, command) => (command.type === 'reserve' ? [100] : [0]));
    const first = w.replica('a').checkout('o');
    await sleep(20);
    const joined = await w.replica('b').checkout('o');
    expect(joined).toEqual(OK);
    expect(await first).toEqual(OK);
    expect(await w.payment.findCredit('u')).toBe(92);
    expect((await w.stock.findItem('i'))?.stock).toBe(8);
    await w.bus.close();
  });

  it('fences off a stalled owner: the replica that took over decides, once', async () => {
    // A deadline far beyond the delays: this test is about fencing, and on a loaded machine a
    // 300 ms deadline can pass before the rescuer's drive is answered.
    const w = await world((_to, command) => (command.type === 'reserve' ? [150] : [0]), {
      ...TIMING,
      deadlineMs: 5000,
    });
    // The owner "stalls": its lease renewals never return, as if the process were SIGSTOPped.
    const stalled: OrderStore = { ...w.orders, renewLease: () => new Promise(() => undefined) };
    const owner = w.replica('stalled', stalled);
    const rescuer = w.replica('rescuer');
    const stopSweeper = startSweeper(rescuer, TIMING.sweepMs, log);
    const answer = owner.checkout('o');
    await sleep(TIMING.leaseMs * 2);
    const [sagaId] = await w.orders.expiredSagas(Number.MAX_SAFE_INTEGER, 1);
    expect(sagaId).toBeDefined();
    const saga = await w.orders.findSaga(sagaId ?? '');
    expect(saga?.owner).toBe('rescuer');
    expect(saga?.epoch).toBe(2);
    expect(await answer).toEqual(OK);
    stopSweeper();
    expect(await w.payment.findCredit('u')).toBe(92);
    expect((await w.stock.findItem('i'))?.stock).toBe(8);
    expect((await w.orders.findSaga(sagaId ?? ''))?.state).toBe('COMMITTED');
    await w.bus.close();
  });

  it('gives a saga it took over a drive of its own, even while its stale drive still runs', async () => {
    const timing = { ...TIMING, leaseMs: 100, deadlineMs: 5000 };
    let sagaId = '';
    const w = await world((_to, command) => {
      if (command.type !== 'reserve') return [0];
      sagaId = command.sagaId;
      // Long enough that the sweeper (every 10 ms) takes over first even on a loaded machine:
      // at 600 ms a stalled worker once let the stale drive commit at epoch 1.
      return [1500];
    }, timing);
    // The replica was paused: the answer to its begin and to its sweeper's takeover arrive
    // late, and the renewals of its first epoch never return.
    const paused: OrderStore = {
      ...w.orders,
      beginCheckout: (orderId, saga) => later(200, w.orders.beginCheckout(orderId, saga)),
      takeOver: (...args) => later(400, w.orders.takeOver(...args)),
      renewLease: (sagaId, epoch, until) =>
        epoch === 1 ? new Promise(() => undefined) : w.orders.renewLease(sagaId, epoch, until),
    };
    const replica = w.replica('paused', paused);
    const stopSweeper = startSweeper(replica, timing.sweepMs, log);
    expect(await replica.checkout('o')).toEqual(OK);
    stopSweeper();
    expect((await w.orders.findOrder('o'))?.paid).toBe(true);
    expect(await w.payment.findCredit('u')).toBe(92);
    // Taken over once (epoch 2) and finished by that drive: a stale drive handed the new
    // epoch would have let the lease lapse again (epoch 3).
    expect((await w.orders.findSaga(sagaId))?.epoch).toBe(2);
    await w.bus.close();
  });
});
