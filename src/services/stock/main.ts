/** The stock service as its own process: HTTP routes and the consumer of stock commands. */
import { runService } from '../service-process.js';
import { stockCommands } from './commands.js';
import { stockRoutes } from './routes.js';
import { createRedisStockStore } from './store.redis.js';

await runService('stock', async ({ redis, storeOptions, bus, app }) => {
  const store = createRedisStockStore(redis, storeOptions);
  await bus.serve('stock', stockCommands(store));
  stockRoutes(app, store);
  return [];
});
