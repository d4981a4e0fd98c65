/**
 * `npm start` killed with SIGKILL in the middle of 200 concurrent checkouts, then restarted on
 * the same data: the sweeper finishes every saga the dead process left, nothing is lost or
 * invented, and every checkout answered 200 before the kill stays paid.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../../harness/client.js';
import { conservationProblem, settledConservationProblem } from '../support/conservation.js';
import { startEmbedded, type Running } from '../../harness/launch.js';
import { inParallel } from '../suites/consistency.js';

const ORDERS = 200;
const USERS = 50;
const ITEMS = 5;
const CREDIT = 10;
const STOCK = 30;
const POPULATION = { orders: ORDERS, users: USERS, items: ITEMS, credit: CREDIT, stock: STOCK };
const FAST_RECOVERY = { SAGA_LEASE_MS: '300', SAGA_SWEEP_MS: '100' };

const dataDir = mkdtempSync(join(tmpdir(), 'checkout-restart-'));
const running: Running[] = [];
afterAll(async () => {
  for (const system of running) await system.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

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
    expect(await settledConservationProblem(after, POPULATION, answered, 15_000)).toBeUndefined();

    // Checking every order out again charges nothing twice.
    await inParallel(ORDERS, 64, (i) => after.post(`/orders/checkout/${i}`));
    expect(await conservationProblem(after, POPULATION, answered)).toBeUndefined();
    after.close();
  });
});
