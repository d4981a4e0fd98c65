/**
 * `npm start` killed with SIGKILL in the middle of 200 concurrent checkouts, then restarted on
 * the same data: the sweeper finishes every saga the dead process left, nothing is lost or
 * invented, and every checkout answered 200 before the kill stays paid.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../src/lib/time.js';
import { createClient, field, type Client } from './support/client.js';
import { startEmbedded, type Running } from './support/embedded.js';
import { inParallel } from './suites/consistency.js';

const ORDERS = 200;
const USERS = 50;
const ITEMS = 5;
const CREDIT = 10;
const STOCK = 30;
const FAST_RECOVERY = { SAGA_LEASE_MS: '300', SAGA_SWEEP_MS: '100' };

const dataDir = mkdtempSync(join(tmpdir(), 'checkout-restart-'));
const running: Running[] = [];
afterAll(async () => {
  for (const system of running) await system.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** True once stock and credit match exactly what the paid orders account for. */
async function conserved(api: Client, answered: Map<string, number>): Promise<string | undefined> {
  const orders = await inParallel(ORDERS, 32, async (i) => (await api.get(`/orders/find/${i}`)).body);
  const spent = new Map<string, number>();
  const taken = new Map<string, number>();
  for (const [i, order] of orders.entries()) {
    const { paid, user_id, total_cost, items } = order as {
      paid: boolean;
      user_id: string;
      total_cost: number;
      items: [string, number][];
    };
    if (answered.get(String(i)) === 200 && !paid) return `order ${i} answered 200 but is unpaid`;
    if (!paid) continue;
    spent.set(user_id, (spent.get(user_id) ?? 0) + total_cost);
    for (const [itemId, quantity] of items) taken.set(itemId, (taken.get(itemId) ?? 0) + quantity);
  }
  for (let u = 0; u < USERS; u++) {
    const credit = field<number>(await api.get(`/payment/find_user/${u}`), 'credit');
    if (credit !== CREDIT - (spent.get(String(u)) ?? 0)) return `user ${u} has ${credit}`;
  }
  for (let i = 0; i < ITEMS; i++) {
    const stock = field<number>(await api.get(`/stock/find/${i}`), 'stock');
    if (stock !== STOCK - (taken.get(String(i)) ?? 0)) return `item ${i} has ${stock}`;
  }
  return undefined;
}

describe('embedded restart after SIGKILL', () => {
  it('finishes every interrupted saga with nothing lost or invented', async () => {
    const first = await startEmbedded(dataDir, FAST_RECOVERY);
    running.push(first);
    const api = createClient(first.baseUrl, 128);
    expect((await api.post(`/payment/batch_init/${USERS}/${CREDIT}`)).status).toBe(200);
    expect((await api.post(`/stock/batch_init/${ITEMS}/${STOCK}/1`)).status).toBe(200);
    expect((await api.post(`/orders/batch_init/${ORDERS}/${ITEMS}/${USERS}/1`)).status).toBe(200);

    const answered = new Map<string, number>();
    const inFlight = Array.from({ length: ORDERS }, (_, i) =>
      api.post(`/orders/checkout/${i}`).then(
        (response) => void answered.set(String(i), response.status),
        () => undefined, // the connection died with the process: no answer
      ),
    );
    await sleep(15);
    await first.kill();
    await Promise.all(inFlight);
    api.close();
    console.log(`answered before SIGKILL: ${answered.size} of ${ORDERS}`);

    const second = await startEmbedded(dataDir, FAST_RECOVERY);
    running.push(second);
    const after = createClient(second.baseUrl, 32);
    let problem: string | undefined = 'not checked yet';
    const giveUpAt = Date.now() + 15_000;
    while (problem !== undefined && Date.now() < giveUpAt) {
      await sleep(200);
      problem = await conserved(after, answered);
    }
    expect(problem).toBeUndefined();

    // Checking every order out again charges nothing twice.
    await inParallel(ORDERS, 64, (i) => after.post(`/orders/checkout/${i}`));
    expect(await conserved(after, answered)).toBeUndefined();
    after.close();
  });
});
