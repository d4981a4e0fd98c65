/**
 * The order service as its own process: HTTP routes, the saga orchestrator for the checkouts
 * it receives, and the sweeper that finishes sagas whose owner died (any replica may).
 */
import { runService } from '../service-process.js';
import { addOrderService } from './orchestrator.js';
import { createRedisOrderStore } from './store.redis.js';

await runService('order', ({ config, log, redis, storeOptions, bus, app, metrics }) => {
  const store = createRedisOrderStore(redis, { ...storeOptions, limits: config.orderLimits });
  const order = addOrderService(app, { store, bus, config, log, metrics });
  return Promise.resolve([() => order.close()]);
});
