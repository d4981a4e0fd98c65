/**
 * A Redis at its memory limit (maxmemory, noeviction) refuses writes: every write endpoint
 * answers 503 with Retry-After (not 500), nothing changes, reads keep working, and service
 * resumes once memory frees (issue 11.8). A private redis-server, stopped by its PID; the
 * whole system in-process over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLocalBus } from '../../src/bus/local.js';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { buildAllServices, type AllServices } from '../../src/all-services.js';
import { createClient, field, type Client } from '../../harness/client.js';
import { redisProcesses } from '../support/redis.js';
import { redisStores } from '../support/redis-stores.js';
import { orderReadyToPay } from '../support/shop.js';

const processes = redisProcesses();
const log = silentLog();
let admin: Redis;
let system: AllServices;
let api: Client;

beforeAll(async () => {
  const server = await processes.server('--maxmemory-policy', 'noeviction');
  const config = loadConfig({ REDIS_URL: server.url });
  admin = new Redis(server.url);
  system = await buildAllServices(
    redisStores(config, log, ''),
    createLocalBus({ commandTtlMs: config.commandTtlMs }),
    config,
    log,
  );
  api = createClient(await system.app.listen({ port: 0, host: '127.0.0.1' }), 4);
});

afterAll(async () => {
  api.close();
  await system.close();
  admin.disconnect();
  await processes.stopAll();
});

describe('redis at its memory limit', () => {
  it('answers every write 503 with Retry-After, changes nothing, and resumes when memory frees', async () => {
    const { userId, itemId, orderId } = await orderReadyToPay(api, {
      credit: 100,
      price: 5,
      stock: 10,
      quantity: 2,
    });
    const state = async () =>
      Promise.all(
        [`/payment/find_user/${userId}`, `/stock/find/${itemId}`, `/orders/find/${orderId}`].map(
          async (path) => (await api.get(path)).body,
        ),
      );
    const before = await state();

    // 1 MB of other data, then a limit half of it below what is used: the store is full.
    const fillers = Array.from({ length: 16 }, (_, i) => `filler:${i}`);
    for (const key of fillers) await admin.set(key, 'x'.repeat(64 * 1024));
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
    await admin.config('SET', 'maxmemory', String(used - 512 * 1024));

    const writes = [
      `/payment/add_funds/${userId}/5`,
      `/payment/pay/${userId}/5`,
      `/payment/create_user`,
      `/stock/add/${itemId}/5`,
      `/stock/subtract/${itemId}/5`,
      `/stock/item/create/5`,
      `/orders/create/${userId}`,
      `/orders/addItem/${orderId}/${itemId}/1`,
    ];
    for (const path of writes) {
      const response = await api.post(path);
      expect(response.status, path).toBe(503);
      expect(Number(response.headers['retry-after']), path).toBeGreaterThanOrEqual(1);
      expect(field<string>(response, 'error'), path).toMatch(/out of memory/);
    }
    expect(await state()).toEqual(before);

    // Memory frees: the store takes writes again.
    await admin.del(...fillers);
    for (const path of writes) expect((await api.post(path)).status, path).toBe(200);
    expect(field<number>(await api.get(`/payment/find_user/${userId}`), 'credit')).toBe(100);
    expect(field<number>(await api.get(`/stock/find/${itemId}`), 'stock')).toBe(10);
    expect(field<number>(await api.get(`/orders/find/${orderId}`), 'total_cost')).toBe(15);
    expect((await api.post(`/orders/checkout/${orderId}`)).status).toBe(200);
    expect(field<number>(await api.get(`/payment/find_user/${userId}`), 'credit')).toBe(85);
  });
});
