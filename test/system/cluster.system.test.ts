/**
 * The distributed system (`npm run cluster`: nginx, two replicas of each service, Redis with
 * Sentinel, a private RabbitMQ) over real HTTP: the same contract, bad-input and consistency
 * suites as `npm start`, then a service replica SIGKILLed in the middle of 1000 concurrent
 * checkouts — no client sees a 5xx, every saga finishes, nothing is lost or invented.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../harness/client.js';
import { startCluster, stopCluster, type Cluster } from '../../harness/cluster.js';
import { conservationProblem, settledConservationProblem } from '../support/conservation.js';
import { describeBadInput } from '../suites/bad-input.js';
import { describeConsistency, inParallel } from '../suites/consistency.js';
import { describeContract } from '../suites/contract.js';

const POPULATION = { orders: 1000, users: 200, items: 50, credit: 20, stock: 30 };
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster(undefined, { env: { SAGA_LEASE_MS: '1000', SAGA_SWEEP_MS: '200' } });
}, 240_000);
afterAll(async () => {
  if (cluster) await stopCluster(cluster);
}, 120_000);

describeContract('cluster', () => cluster.url);
describeBadInput('cluster', () => cluster.url);
describeConsistency('cluster', () => cluster.url);

describe('service replica killed mid-checkout (cluster)', () => {
  for (const victim of ['order-1', 'stock-1', 'payment-1']) {
    it(`keeps every invariant when ${victim} is SIGKILLed during 1000 concurrent checkouts`, async () => {
      const api = createClient(cluster.url, 128);
      const { orders, users, items, credit, stock } = POPULATION;
      expect((await api.post(`/payment/batch_init/${users}/${credit}`)).status).toBe(200);
      expect((await api.post(`/stock/batch_init/${items}/${stock}/1`)).status).toBe(200);
      expect((await api.post(`/orders/batch_init/${orders}/${items}/${users}/1`)).status).toBe(200);

      const answered = new Map<string, number>();
      const checkouts = inParallel(orders, 128, async (i) => {
        const response = await api.post(`/orders/checkout/${i}`);
        answered.set(String(i), response.status);
      });
      await sleep(150);
      await cluster.kill(victim);
      const killedAt = Date.now();
      await checkouts;

      const statuses = [...answered.values()];
      const summary = { ok: 0, refused: 0, failed: 0 };
      for (const status of statuses) {
        if (status === 200) summary.ok++;
        else if (status >= 400 && status < 500) summary.refused++;
        else summary.failed++;
      }
      console.log(`[${victim} killed] ${JSON.stringify(summary)}`);
      expect(summary.failed).toBe(0);
      expect(summary.ok + summary.refused).toBe(orders);

      expect(await settledConservationProblem(api, POPULATION, answered, 30_000)).toBeUndefined();
      console.log(
        `[${victim} killed] every saga finished and balanced ${Date.now() - killedAt} ms after the kill`,
      );
      // Checking every order out again charges nothing twice.
      await inParallel(orders, 64, (i) => api.post(`/orders/checkout/${i}`));
      expect(await conservationProblem(api, POPULATION, answered)).toBeUndefined();
      api.close();
      // Let the supervisor bring the victim back before the next case.
      await cluster.cli(['status']).catch(() => undefined);
    }, 120_000);
  }
});
