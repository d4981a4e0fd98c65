/**
 * The three services' Redis stores as their processes make them, for tests that run the
 * services in this process over a real Redis: each store on its own connection (which it
 * owns and closes), its keys under `<prefix><service>:`, and a durability barrier that asks
 * for no replica (a test Redis has none).
 */
import type { Stores } from '../../src/all-services.js';
import type { Config } from '../../src/lib/config.js';
import type { Log } from '../../src/lib/log.js';
import { connectRedis, createDurability } from '../../src/lib/redis.js';
import { createRedisOrderStore } from '../../src/services/order/store.redis.js';
import { createRedisPaymentStore } from '../../src/services/payment/store.redis.js';
import { createRedisStockStore } from '../../src/services/stock/store.redis.js';

/** A store's connection and options for service `name`. */
export function storeConnection(config: Config, log: Log, prefix: string) {
  return (name: string) => {
    const own = connectRedis(config.redis, name, log);
    const durable = createDurability(own, { replicas: 0, timeoutMs: 100, log });
    return [own, { prefix: `${prefix}${name}:`, recordTtlMs: config.recordTtlMs, durable }] as const;
  };
}

export function redisStores(config: Config, log: Log, prefix: string): Stores {
  const connect = storeConnection(config, log, prefix);
  return {
    order: createRedisOrderStore(...connect('order')),
    stock: createRedisStockStore(...connect('stock')),
    payment: createRedisPaymentStore(...connect('payment')),
  };
}
