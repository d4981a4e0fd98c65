/**
 * `npm run cluster -- up --lean` (one process per service, one Sentinel, a Redis master with one
 * replica): the topology the benchmark reports beside the HA one must be just as correct. The
 * consistency suite runs on it, and a Redis master SIGKILLed under checkouts is failed over by
 * the lone Sentinel with nothing lost or invented.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../harness/client.js';
import { startCluster, stopCluster, type Cluster } from '../../harness/cluster.js';
import { sentinelMasterPort } from '../../src/cluster/redis-probe.js';
import { waitFor } from '../../src/lib/retry.js';
import { readPlan } from '../../src/cluster/state.js';
import { settledConservationProblem } from '../support/conservation.js';
import { describeConsistency, inParallel } from '../suites/consistency.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster(undefined, { lean: true });
}, 240_000);
afterAll(async () => {
  if (cluster) await stopCluster(cluster);
}, 120_000);

describe('lean topology', () => {
  it('runs one process per service and a master with one replica per Redis group', () => {
    const names = cluster.state().components.map((c) => c.name);
    expect(names.filter((n) => /^(order|stock|payment)-\d$/.test(n)).sort()).toEqual([
      'order-1',
      'payment-1',
      'stock-1',
    ]);
    expect(names.filter((n) => n.startsWith('stock-redis-')).sort()).toEqual([
      'stock-redis-1',
      'stock-redis-2',
    ]);
    expect(names.filter((n) => n.startsWith('sentinel-'))).toEqual(['sentinel-1']);
  });
});

describeConsistency('cluster --lean', () => cluster.url);

describe('Redis master killed mid-checkout (cluster --lean)', () => {
  it('fails over with one Sentinel and keeps every invariant', async () => {
    const api = createClient(cluster.url, 64);
    const population = { orders: 400, users: 100, items: 40, credit: 20, stock: 30 };
    const { orders, users, items, credit, stock } = population;
    expect((await api.post(`/payment/batch_init/${users}/${credit}`)).status).toBe(200);
    expect((await api.post(`/stock/batch_init/${items}/${stock}/1`)).status).toBe(200);
    expect((await api.post(`/orders/batch_init/${orders}/${items}/${users}/1`)).status).toBe(200);
    const { sentinelPorts } = readPlan(cluster.dir);
    const before = await sentinelMasterPort(sentinelPorts, 'payment');

    const answered = new Map<string, number>();
    // Few at a time, so that checkouts are still arriving while the master is down.
    const checkouts = inParallel(orders, 8, async (i) => {
      answered.set(String(i), (await api.post(`/orders/checkout/${i}`)).status);
    });
    await sleep(100);
    await cluster.kill('payment-redis-master');
    const failedOver = await waitFor(
      async () => (await sentinelMasterPort(sentinelPorts, 'payment')) !== before,
      60_000,
    );
    await checkouts;

    expect(failedOver).toBe(true);
    expect([...answered.values()].filter((s) => s >= 500)).toEqual([]);
    expect(await settledConservationProblem(api, population, answered, 30_000)).toBeUndefined();
    api.close();
  }, 180_000);
});
