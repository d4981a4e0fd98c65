/**
 * 500 only for bugs (issue 11.9): a dependency that stays unavailable past its bounded wait
 * answers 503 with Retry-After and a JSON error, mapped in one place (src/lib/errors.ts).
 * The whole system runs in-process on SQLite stores; faults are injected above the adapters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalBus } from '../../src/bus/local.js';
import { loadConfig } from '../../src/lib/config.js';
import { unavailableOf } from '../../src/lib/errors.js';
import { silentLog } from '../../src/lib/log.js';
import { DurabilityLostError, DurabilityTimeoutError } from '../../src/lib/redis.js';
import type { OrderStore } from '../../src/services/order/store.js';
import { openSqliteOrderStore } from '../../src/services/order/store.sqlite.js';
import { openSqlitePaymentStore } from '../../src/services/payment/store.sqlite.js';
import { openSqliteStockStore } from '../../src/services/stock/store.sqlite.js';
import { buildAllServices, type AllServices } from '../../src/all-services.js';
import { createClient, field } from '../../harness/client.js';

const config = loadConfig({ SAGA_DEADLINE_MS: '300', SAGA_ATTEMPT_MS: '50' });
const options = { recordTtlMs: 60_000 };
const systems: AllServices[] = [];

afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.close()));
});

/** The system on fresh stores; `order` may wrap the order store, `dropPrices` loses price queries. */
async function start(faults: { order?: (store: OrderStore) => OrderStore; dropPrices?: boolean } = {}) {
  const orders = openSqliteOrderStore(':memory:', options);
  const bus = createLocalBus({
    commandTtlMs: config.commandTtlMs,
    faults: {
      command: (_to, command) => (faults.dropPrices && command.type === 'price' ? [] : [0]),
      reply: () => [0],
    },
  });
  const system = await buildAllServices(
    {
      order: faults.order ? faults.order(orders) : orders,
      stock: openSqliteStockStore(':memory:', options),
      payment: openSqlitePaymentStore(':memory:', options),
    },
    bus,
    config,
    silentLog(),
  );
  systems.push(system);
  const api = createClient(await system.app.listen({ port: 0, host: '127.0.0.1' }), 2);
  const userId = field<string>(await api.post('/payment/create_user'), 'user_id');
  const orderId = field<string>(await api.post(`/orders/create/${userId}`), 'order_id');
  const itemId = field<string>(await api.post('/stock/item/create/5'), 'item_id');
  return { api, orderId, itemId };
}

describe('a dependency that stays unavailable', () => {
  it('answers addItem with 503 and Retry-After when stock does not answer the price query', async () => {
    const { api, orderId, itemId } = await start({ dropPrices: true });
    const response = await api.post(`/orders/addItem/${orderId}/${itemId}/1`);
    expect(response.status).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(field<string>(response, 'error')).toMatch(/stock service did not answer/);
    expect(field<unknown[]>(await api.get(`/orders/find/${orderId}`), 'items')).toEqual([]);
    api.close();
  });

  it('answers 503 and Retry-After when the store is unreachable or out of memory', async () => {
    const unreachable = Object.assign(new Error('Connection is closed.'), { name: 'Error' });
    const outOfMemory = Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'."), {
      name: 'ReplyError',
    });
    let failure: Error = unreachable;
    const { api, orderId, itemId } = await start({
      order: (store) => ({ ...store, addItem: () => Promise.reject(failure) }),
    });
    for (const [error, message] of [
      [unreachable, /unreachable/],
      [outOfMemory, /out of memory/],
    ] as const) {
      failure = error;
      const response = await api.post(`/orders/addItem/${orderId}/${itemId}/1`);
      expect(response.status).toBe(503);
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(field<string>(response, 'error')).toMatch(message);
    }
    api.close();
  });

  it('still answers 500 for a bug', async () => {
    const { api, orderId, itemId } = await start({
      order: (store) => ({ ...store, addItem: () => Promise.reject(new TypeError('x is undefined')) }),
    });
    const response = await api.post(`/orders/addItem/${orderId}/${itemId}/1`);
    expect(response.status).toBe(500);
    expect(response.headers['retry-after']).toBeUndefined();
    api.close();
  });
});

describe('the table of unavailable dependencies', () => {
  it('maps store and barrier failures to a message and Retry-After, and nothing else', () => {
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    const sqlite = (code: string) => Object.assign(new Error(code), { code });
    expect(unavailableOf(new DurabilityTimeoutError(5000))?.message).toMatch(/did not confirm/);
    expect(unavailableOf(new DurabilityLostError())?.message).toMatch(/broke/);
    expect(unavailableOf(reply('NOREPLICAS Not enough good replicas to write.'))?.message).toMatch(
      /replicas/,
    );
    expect(unavailableOf(reply('READONLY You can not write against a read only replica.'))).toBeDefined();
    expect(unavailableOf(sqlite('SQLITE_BUSY'))).toBeDefined();
    expect(unavailableOf(sqlite('SQLITE_IOERR_WRITE'))).toBeDefined();
    expect(unavailableOf(sqlite('SQLITE_CONSTRAINT_PRIMARYKEY'))).toBeUndefined();
    expect(unavailableOf(reply('ERR Error running script: attempt to compare nil'))).toBeUndefined();
    expect(unavailableOf(new RangeError('bug'))).toBeUndefined();
  });
});
