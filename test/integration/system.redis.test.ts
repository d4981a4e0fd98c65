/**
 * The whole system in-process on the Redis stores (the machine's Redis at REDIS_URL, under a
 * unique key prefix deleted afterwards) over real HTTP: the same contract, bad-input and
 * consistency suites as `npm start`, plus a checkout that must freeze its order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBus } from '../../src/bus/local.js';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { closeRedis, connectRedis, deleteByPrefix, type Redis } from '../../src/lib/redis.js';
import { buildAllServices, type AllServices } from '../../src/all-services.js';
import { createClient, field } from '../../harness/client.js';
import { redisStores } from '../support/redis-stores.js';
import { orderReadyToPay } from '../support/shop.js';
import { describeBadInput } from '../suites/bad-input.js';
import { describeConsistency } from '../suites/consistency.js';
import { describeContract } from '../suites/contract.js';

const ROOT = `t:${randomUUID()}:`;
const config = loadConfig({ ...process.env, SAGA_DEADLINE_MS: '3000' });
const log = silentLog();
let redis: Redis;
let system: AllServices;
let baseUrl = '';
/** Every stock command waits this long before it is delivered, when a test asks for it. */
let stockDelayMs = 0;

beforeAll(async () => {
  redis = connectRedis(config.redis, 'test', log);
  const bus = createLocalBus({
    commandTtlMs: config.commandTtlMs,
    faults: { command: () => [stockDelayMs], reply: () => [0] },
  });
  system = await buildAllServices(redisStores(config, log, ROOT), bus, config, log);
  baseUrl = await system.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await system?.close();
  await deleteByPrefix(redis, ROOT);
  await closeRedis(redis);
});

describeContract('redis stores', () => baseUrl);
describeBadInput('redis stores', () => baseUrl);
describeConsistency('redis stores', () => baseUrl);

describe('checkout in progress (redis stores)', () => {
  it('refuses addItem while the order is being checked out, and keeps the order as it was', async () => {
    const api = createClient(baseUrl, 4);
    const { itemId, orderId } = await orderReadyToPay(api, { credit: 100, price: 3, stock: 10, quantity: 2 });

    stockDelayMs = 300;
    const checkout = api.post(`/orders/checkout/${orderId}`);
    await sleep(100);
    // The price query is a stock command too: let it through at once.
    stockDelayMs = 0;
    const during = await api.post(`/orders/addItem/${orderId}/${itemId}/1`);
    expect(during.status).toBe(409);
    expect(field<string>(during, 'error')).toMatch(/checkout/);
    expect((await checkout).status).toBe(200);
    const order = await api.get(`/orders/find/${orderId}`);
    expect(field<number>(order, 'total_cost')).toBe(6);
    expect(field<boolean>(order, 'paid')).toBe(true);
    expect(field<number>(await api.get(`/stock/find/${itemId}`), 'stock')).toBe(8);
    api.close();
  });
});
