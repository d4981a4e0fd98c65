/**
 * GET /admin/metrics: the console's live figures from every order replica, gathered over the
 * bus. Two order replicas on one in-process bus and the same stores (as two processes share
 * Redis and RabbitMQ), each taking some of the checkouts: either replica answers both
 * replicas' counters, which sum to every checkout. The same gather over RabbitMQ is in
 * test/integration/bus.rabbit.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildAllServices, type AllServices, type Stores } from '../../src/all-services.js';
import { createLocalBus } from '../../src/bus/local.js';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { openSqliteOrderStore } from '../../src/services/order/store.sqlite.js';
import { openSqlitePaymentStore } from '../../src/services/payment/store.sqlite.js';
import { openSqliteStockStore } from '../../src/services/stock/store.sqlite.js';
import { startInProcess } from '../support/in-process.js';

const TOKEN = 'metrics-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const running: AllServices[] = [];

afterEach(async () => {
  // The replicas share the bus and stores: the first close closes them, the others find them closed.
  for (const services of running.splice(0)) await services.close();
});

interface Gathered {
  window_ms: number;
  replicas: { instance: string; metrics: string }[];
}

async function gathered(services: AllServices): Promise<Gathered> {
  const response = await services.app.inject({ method: 'GET', url: '/admin/metrics', headers: AUTH });
  expect(response.statusCode).toBe(200);
  return response.json<Gathered>();
}

/** The value of one sample line of a Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

const committed = (text: string) => sample(text, 'saga_outcomes_total', 'outcome="committed"');
const checkoutRequests = (text: string) =>
  sample(text, 'http_request_duration_seconds_count', 'route="/orders/checkout/:order_id"');

describe('admin API: metrics of every order replica', () => {
  it('gathers both replicas over the bus, and their counters sum to every checkout', async () => {
    const options = { recordTtlMs: 3_600_000 };
    const stores: Stores = {
      order: openSqliteOrderStore(':memory:', options),
      stock: openSqliteStockStore(':memory:', options),
      payment: openSqlitePaymentStore(':memory:', options),
    };
    const bus = createLocalBus({ commandTtlMs: 30_000 });
    const replica = async (id: string) => {
      const config = loadConfig({ ADMIN_TOKEN: TOKEN, INSTANCE_ID: id });
      const services = await buildAllServices(stores, bus, config, silentLog());
      running.push(services);
      return services;
    };
    const [a, b] = [await replica('order-a'), await replica('order-b')];
    for (const init of [
      '/stock/batch_init/1/100/1',
      '/payment/batch_init/1/100',
      '/orders/batch_init/5/1/1/1',
    ])
      expect((await a.app.inject({ method: 'POST', url: init })).statusCode).toBe(200);
    for (const [services, orders] of [
      [a, ['0', '1', '2']],
      [b, ['3', '4']],
    ] as const) {
      for (const orderId of orders) {
        const response = await services.app.inject({ method: 'POST', url: `/orders/checkout/${orderId}` });
        expect(response.statusCode).toBe(200);
      }
    }

    for (const asker of [a, b]) {
      const { replicas } = await gathered(asker);
      expect(replicas.map((r) => r.instance)).toEqual(['order-a', 'order-b']);
      const [ofA = '', ofB = ''] = replicas.map((r) => r.metrics);
      expect([committed(ofA), committed(ofB)]).toEqual([3, 2]);
      expect([checkoutRequests(ofA), checkoutRequests(ofB)]).toEqual([3, 2]);
      const total = replicas.reduce((sum, r) => sum + committed(r.metrics), 0);
      expect(total).toBe(5);
      console.log(`GET /admin/metrics on ${asker === a ? 'order-a' : 'order-b'}: committed`, {
        'order-a': committed(ofA),
        'order-b': committed(ofB),
        total,
      });
      // Only what the console reads travels: no process or runtime series.
      for (const { metrics } of replicas) expect(metrics).not.toMatch(/^(process|nodejs)_/m);
    }
  });

  it('answers its own figures alone when it is the only replica (npm start)', async () => {
    const services = await startInProcess({ ADMIN_TOKEN: TOKEN, INSTANCE_ID: 'order-1' });
    running.push(services);
    await services.app.inject({ method: 'POST', url: '/orders/checkout/nope' });
    const { replicas } = await gathered(services);
    expect(replicas.map((r) => r.instance)).toEqual(['order-1']);
    expect(checkoutRequests(replicas[0]?.metrics ?? '')).toBe(1);
  });

  it('answers what arrived within the window when a replica does not answer', async () => {
    const bus = createLocalBus({ commandTtlMs: 1000 });
    await bus.answer('t', () => Promise.resolve({ instance: 'quick' }));
    await bus.answer('t', () => new Promise(() => undefined));
    await bus.answer('t', () => Promise.reject(new Error('broken')));
    expect(await bus.gather('t', 50)).toEqual([{ instance: 'quick' }]);
    expect(await bus.gather('nobody answers this', 50)).toEqual([]);
    await bus.close();
    expect(await bus.gather('t', 50)).toEqual([]);
  });
});
