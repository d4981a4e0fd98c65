/**
 * The whole system in-process, as `npm start` assembles it (SQLite stores, in-process bus),
 * driven through Fastify's `inject`: the contract, bad-input and consistency suites with no
 * network and no server. test/system/embedded.test.ts runs the same suites against the real
 * `npm start` process over HTTP.
 */
import { afterAll, beforeAll } from 'vitest';
import { buildAllServices, type AllServices } from '../../src/all-services.js';
import { createLocalBus } from '../../src/bus/local.js';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { openSqliteOrderStore } from '../../src/services/order/store.sqlite.js';
import { openSqlitePaymentStore } from '../../src/services/payment/store.sqlite.js';
import { openSqliteStockStore } from '../../src/services/stock/store.sqlite.js';
import { describeBadInput } from '../suites/bad-input.js';
import { describeConsistency } from '../suites/consistency.js';
import { describeContract } from '../suites/contract.js';

const config = loadConfig({});
let system: AllServices;

beforeAll(async () => {
  const options = { recordTtlMs: config.recordTtlMs };
  system = await buildAllServices(
    {
      order: openSqliteOrderStore(':memory:', { ...options, limits: config.orderLimits }),
      stock: openSqliteStockStore(':memory:', options),
      payment: openSqlitePaymentStore(':memory:', options),
    },
    createLocalBus({ commandTtlMs: config.commandTtlMs }),
    config,
    silentLog(),
  );
});

afterAll(async () => {
  await system?.close();
});

describeContract('in-process, inject', () => system.app);
describeBadInput('in-process, inject', () => system.app);
describeConsistency('in-process, inject', () => system.app);
