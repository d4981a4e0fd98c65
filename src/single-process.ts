/**
 * `npm start`: the whole system in one process — all routes on PORT, each service's data in
 * its own SQLite file under DATA_DIR, commands over the in-process bus. After a restart (even
 * after kill -9) the sweeper finishes every saga the previous process left unfinished.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalBus } from './bus/local.js';
import { loadConfig } from './lib/config.js';
import { onShutdown } from './lib/lifecycle.js';
import { createLog } from './lib/log.js';
import { startTracing } from './lib/tracing.js';
import { openSqliteOrderStore } from './services/order/store.sqlite.js';
import { openSqlitePaymentStore } from './services/payment/store.sqlite.js';
import { openSqliteStockStore } from './services/stock/store.sqlite.js';
import { buildAllServices } from './all-services.js';

const config = loadConfig();
const log = createLog(config.logLevel, 'checkout-saga');
const tracing = await startTracing(config.tracing, 'checkout-saga');
mkdirSync(config.dataDir, { recursive: true });
const options = { recordTtlMs: config.recordTtlMs };
const stores = {
  order: openSqliteOrderStore(join(config.dataDir, 'order.db'), { ...options, limits: config.orderLimits }),
  stock: openSqliteStockStore(join(config.dataDir, 'stock.db'), options),
  payment: openSqlitePaymentStore(join(config.dataDir, 'payment.db'), options),
};
const bus = createLocalBus({ commandTtlMs: config.commandTtlMs });
const system = await buildAllServices(stores, bus, config, log);
onShutdown(log, [() => system.close(), () => tracing.flush()]);
await system.app.listen({ port: config.port, host: config.host });
const address = system.app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : config.port;
// The one line scripts wait for (docs/architecture.md, Run modes); stdout, not the JSON log.
process.stdout.write(`ready http://127.0.0.1:${port}\n`);
