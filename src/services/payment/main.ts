/** The payment service as its own process: HTTP routes and the consumer of payment commands. */
import { runService } from '../service-process.js';
import { paymentCommands } from './commands.js';
import { paymentRoutes } from './routes.js';
import { createRedisPaymentStore } from './store.redis.js';

await runService('payment', async ({ redis, storeOptions, bus, app }) => {
  const store = createRedisPaymentStore(redis, storeOptions);
  await bus.serve('payment', paymentCommands(store));
  paymentRoutes(app, store);
  return [];
});
