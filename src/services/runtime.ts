/**
 * What every service process of the distributed system shares: config, log, its own Redis
 * (through Sentinel when configured) with the durability barrier, the RabbitMQ bus, the HTTP
 * app with /health and /ready, and graceful shutdown. Each `main.ts` adds only its own parts.
 */
import { createRabbitBus, type RabbitBus } from '../bus/rabbit.js';
import { loadConfig, type Config } from '../lib/config.js';
import { addHealthRoutes, buildHttp, type App } from '../lib/http.js';
import { onShutdown, type Step } from '../lib/lifecycle.js';
import { createLog, type Log } from '../lib/log.js';
import {
  closeRedis,
  connectRedis,
  createDurability,
  type Redis,
  type RedisStoreOptions,
} from '../lib/redis.js';

export type ServiceName = 'order' | 'stock' | 'payment';

export interface Runtime {
  config: Config;
  log: Log;
  redis: Redis;
  storeOptions: RedisStoreOptions;
  bus: RabbitBus;
  app: App;
}

/** Ready means the store answers and the broker is connected: without them requests fail. */
async function dependenciesUsable(redis: Redis, bus: RabbitBus): Promise<boolean> {
  if (redis.status !== 'ready' || !bus.connected()) return false;
  return (await redis.ping()) === 'PONG';
}

/**
 * Connects, lets `wire` register routes and consumers, listens, and on SIGTERM stops taking
 * requests, runs `wire`'s own shutdown steps (drain sagas), then closes the bus and Redis.
 */
export async function runService(
  name: ServiceName,
  wire: (runtime: Runtime) => Promise<Step[]>,
): Promise<void> {
  const config = loadConfig();
  const log = createLog(config.logLevel, name).child({ instance: config.instanceId });
  const redis = connectRedis(config.redis, name, log);
  const durable = createDurability(redis, {
    replicas: config.redis.waitReplicas,
    timeoutMs: config.redis.waitTimeoutMs,
    log,
  });
  const storeOptions = {
    prefix: config.redis.prefix ?? `${name}:`,
    recordTtlMs: config.recordTtlMs,
    durable,
  };
  const bus = await createRabbitBus({
    url: config.amqpUrl,
    queuePrefix: config.amqpQueuePrefix,
    commandTtlMs: config.commandTtlMs,
    prefetch: config.amqpPrefetch,
    batchesInFlight: config.amqpBatchesInFlight,
    log,
  });
  const app = buildHttp(log);
  addHealthRoutes(app, () => dependenciesUsable(redis, bus));
  const steps = await wire({ config, log, redis, storeOptions, bus, app });
  onShutdown(log, [() => app.close(), ...steps, () => bus.close(), () => closeRedis(redis)]);
  await app.listen({ port: config.port, host: config.host });
  log.info({ port: config.port }, `${name} service ready`);
}
