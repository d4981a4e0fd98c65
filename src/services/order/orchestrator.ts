/**
 * The order service's part of a process, the same whether it runs alone (main.ts) or with the
 * others in one app (all-services.ts): the saga orchestrator, its sweeper, and the order (and,
 * with an admin token, admin) routes on the app.
 */
import type { Bus } from '../../bus/bus.js';
import type { Gathering } from '../../bus/gather.js';
import type { Config } from '../../lib/config.js';
import type { App } from '../../lib/http.js';
import type { Log } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import { adminRoutes } from './admin.js';
import { priceLookup } from './price.js';
import { startSweeper } from './recovery.js';
import { orderRoutes } from './routes.js';
import { createCheckout, type Checkout } from './saga.js';
import type { OrderStore } from './store.js';

export interface OrderService {
  checkout: Checkout;
  /** Stops the sweeper and drains the sagas this replica drives. */
  close(): Promise<void>;
}

export function addOrderService(
  app: App,
  deps: { store: OrderStore; bus: Bus & Gathering; config: Config; log: Log; metrics: Metrics },
): OrderService {
  const { store, bus, config, log, metrics } = deps;
  const checkout = createCheckout({
    store,
    bus,
    owner: config.instanceId,
    timing: config.saga,
    log,
    metrics,
  });
  const stopSweeper = startSweeper(checkout, config.saga.sweepMs, log);
  orderRoutes(app, { store, checkout, price: priceLookup(bus, config.saga) });
  if (config.adminToken !== undefined) {
    adminRoutes(app, {
      token: config.adminToken,
      store,
      checkout,
      bus,
      lookupMs: config.saga.attemptMs,
      instance: config.instanceId,
      metrics,
    });
  }
  return {
    checkout,
    close() {
      stopSweeper();
      return checkout.close();
    },
  };
}
