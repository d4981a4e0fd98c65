/**
 * A checkout during an order store outage (issue 11, point 9): the HTTP caller gets 503 with
 * Retry-After after a bounded wait instead of the store steps' 30 s of retries, while the saga
 * that began is still finished once the store returns: charged and reserved once, never
 * abandoned half-done. The store fails like an unreachable Redis ('Connection is closed.').
 */
import { describe, expect, it, vi } from 'vitest';
import { buildHttp } from '../../src/lib/http.js';
import { silentLog } from '../../src/lib/log.js';
import { priceLookup } from '../../src/services/order/price.js';
import { orderRoutes } from '../../src/services/order/routes.js';
import { createCheckout } from '../../src/services/order/saga.js';
import type { OrderStore } from '../../src/services/order/store.js';
import { sagaWorld } from '../support/saga-world.js';

const TIMING = { leaseMs: 2000, attemptMs: 20, deadlineMs: 5000, sweepMs: 50, retryMaxMs: 20 };
const STORE_WAIT_MS = 200;
const log = silentLog();

/** The order store, failing every call while `down` names it, as an unreachable Redis does. */
function faulty(store: OrderStore, down: { calls: Set<string> }): OrderStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]): unknown => {
        if (down.calls.has(name) || down.calls.has('*')) {
          return Promise.reject(new Error('Connection is closed.'));
        }
        return Reflect.apply(value, target, args) as unknown;
      };
    },
  });
}

async function world() {
  const { stock, payment, orders, bus } = await sagaWorld(['o1', 'o2']);
  const down = { calls: new Set<string>() };
  const store = faulty(orders, down);
  const checkout = createCheckout({
    store,
    bus,
    owner: 'a',
    timing: TIMING,
    log,
    storeWaitMs: STORE_WAIT_MS,
  });
  const app = await buildHttp(log);
  orderRoutes(app, { store, checkout, price: priceLookup(bus, TIMING) });
  await app.ready();
  const post = async (orderId: string) => {
    const response = await app.inject({ method: 'POST', url: `/orders/checkout/${orderId}` });
    return {
      status: response.statusCode,
      retryAfter: response.headers['retry-after'],
      body: response.json<unknown>(),
    };
  };
  const close = async () => {
    await app.close();
    await checkout.close();
    await bus.close();
    await Promise.all([orders.close(), stock.close(), payment.close()]);
  };
  return { stock, payment, orders, down, post, close };
}

describe('checkout during an order store outage', () => {
  it('answers 503 with Retry-After when the store is down at the start, and the retried begin still finishes', async () => {
    const w = await world();
    try {
      w.down.calls.add('*');
      expect(await w.post('o1')).toEqual({
        status: 503,
        retryAfter: '2',
        body: { error: 'store is unreachable' },
      });
      expect(await w.orders.findOrder('o1')).toMatchObject({ paid: false });
      w.down.calls.clear();
      // The begin step went on retrying: its saga runs and commits without another request.
      await vi.waitFor(async () => expect((await w.orders.findOrder('o1'))?.paid).toBe(true), {
        timeout: 10_000,
      });
      expect(await w.post('o1')).toMatchObject({ status: 200 });
      expect(await w.payment.findCredit('u')).toBe(92);
      expect((await w.stock.findItem('i'))?.stock).toBe(8);
    } finally {
      await w.close();
    }
  });

  it('answers 503 when the store fails after the saga began, and the saga still commits once', async () => {
    const w = await world();
    try {
      // The saga begins, charges and reserves; then the store goes: its commit keeps failing.
      w.down.calls.add('transition');
      w.down.calls.add('renewLease');
      const answer = await w.post('o2');
      expect(answer).toEqual({ status: 503, retryAfter: '2', body: { error: 'store is unreachable' } });
      expect(await w.payment.findCredit('u')).toBe(92);
      expect(await w.orders.findOrder('o2')).toMatchObject({ paid: false });
      w.down.calls.clear();
      await vi.waitFor(async () => expect((await w.orders.findOrder('o2'))?.paid).toBe(true), {
        timeout: 10_000,
      });
      // A repeat answers the outcome; nothing was charged or reserved twice.
      expect(await w.post('o2')).toMatchObject({ status: 200 });
      expect(await w.payment.findCredit('u')).toBe(92);
      expect((await w.stock.findItem('i'))?.stock).toBe(8);
      const [saga] = (await w.orders.sagasOfOrder('o2')) ?? [];
      expect(saga).toMatchObject({ state: 'COMMITTED', epoch: 1 });
    } finally {
      await w.close();
    }
  });
});
