/**
 * The order service as its own process: HTTP routes, the saga orchestrator for the checkouts
 * it receives, and the sweeper that finishes sagas whose owner died (any replica may).
 */
import { runService } from '../service-process.js';
import { adminRoutes } from './admin.js';
import { priceLookup } from './price.js';
import { startSweeper } from './recovery.js';
import { orderRoutes } from './routes.js';
import { createCheckout } from './saga.js';
import { createRedisOrderStore } from './store.redis.js';

await runService('order', ({ config, log, redis, storeOptions, bus, app, metrics }) => {
  const store = createRedisOrderStore(redis, { ...storeOptions, limits: config.orderLimits });
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
    adminRoutes(app, { token: config.adminToken, store, checkout, bus, lookupMs: config.saga.attemptMs });
  }
  return Promise.resolve([
    () => {
      stopSweeper();
      return checkout.close();
    },
  ]);
});
