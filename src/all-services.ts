/**
 * All three services in one Fastify app over the stores and bus it is given: the body of
 * `npm start` (SQLite + in-process bus) and of the tests that run the whole system in-process.
 */
import type { Bus } from './bus/bus.js';
import type { Gathering } from './bus/gather.js';
import type { Config } from './lib/config.js';
import { addHealthRoutes, buildHttp, type App } from './lib/http.js';
import type { Log } from './lib/log.js';
import { createMetrics } from './lib/metrics.js';
import { addOrderService } from './services/order/orchestrator.js';
import type { Checkout } from './services/order/saga.js';
import type { OrderStore } from './services/order/store.js';
import { paymentCommands } from './services/payment/commands.js';
import { paymentRoutes } from './services/payment/routes.js';
import type { PaymentStore } from './services/payment/store.js';
import { stockCommands } from './services/stock/commands.js';
import { stockRoutes } from './services/stock/routes.js';
import type { StockStore } from './services/stock/store.js';

export interface Stores {
  order: OrderStore;
  stock: StockStore;
  payment: PaymentStore;
}

export interface AllServices {
  app: App;
  checkout: Checkout;
  /** Stops the sweeper, drains sagas, closes the bus and the stores (the app is closed first). */
  close(): Promise<void>;
}

export async function buildAllServices(
  stores: Stores,
  bus: Bus & Gathering,
  config: Config,
  log: Log,
): Promise<AllServices> {
  await bus.serve('stock', stockCommands(stores.stock));
  await bus.serve('payment', paymentCommands(stores.payment));
  const metrics = createMetrics();
  const app = await buildHttp(log, metrics);
  addHealthRoutes(app, () => Promise.resolve(true));
  stockRoutes(app, stores.stock);
  paymentRoutes(app, stores.payment);
  const order = addOrderService(app, { store: stores.order, bus, config, log, metrics });
  await app.ready();

  return {
    app,
    checkout: order.checkout,
    async close() {
      await app.close();
      await order.close();
      await bus.close();
      await Promise.all([stores.order.close(), stores.stock.close(), stores.payment.close()]);
    },
  };
}
