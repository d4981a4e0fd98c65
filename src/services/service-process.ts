/**
 * What every service process of the distributed system shares: config, log, its own Redis
 * (through Sentinel when configured) with the durability barrier, the RabbitMQ bus, the HTTP
 * app with /health and /ready, and graceful shutdown. Each `main.ts` adds only its own parts.
 */
import { createRabbitBus, type RabbitBus, type RabbitBusStats } from '../bus/rabbit.js';
import { loadConfig, type Config } from '../lib/config.js';
import { addHealthRoutes, buildHttp, type App } from '../lib/http.js';
import { onShutdown, type Step } from '../lib/lifecycle.js';
import { createLog, type Log } from '../lib/log.js';
import { startTracing } from '../lib/tracing.js';
import { createMetrics, type Metrics } from '../lib/metrics.js';
import {
  closeRedis,
  connectRedis,
  createDurability,
  type Durability,
  type Redis,
  type RedisStoreOptions,
} from '../lib/redis.js';

export type ServiceName = 'order' | 'stock' | 'payment';

/** The bus counters exposed on /metrics, with their help text. */
const BUS_STATS: Record<keyof RabbitBusStats, string> = {
  messagesPublished: 'AMQP messages (command batches) published.',
  commandsPublished: 'Commands published.',
  batchesConfirmed: 'Batches confirmed by the broker.',
  batchesRetried: 'Batches published again after a nack or a lost channel.',
  repliesReceived: 'Reply messages received.',
  messagesHandled: 'Command messages consumed and acknowledged.',
  commandsHandled: 'Commands applied by this participant.',
  expiredDropped: 'Commands dropped unapplied because they expired.',
  handlerFailures: 'Messages requeued because the handler failed.',
  deadLettered: 'Messages sent to the dead-letter queue.',
  reconnects: 'Reconnections to the broker.',
};

/** The counters the durability barrier and the bus keep, exposed as Prometheus counters. */
export function serviceCounters(
  metrics: Metrics,
  waits: () => ReturnType<Durability['stats']>,
  bus: () => RabbitBusStats,
): void {
  metrics.counterFrom('redis_waits_total', 'WAIT barriers sent after writes.', () => waits().waits);
  metrics.counterFrom(
    'redis_wait_shortfalls_total',
    'WAITs that reached fewer replicas than asked.',
    () => waits().shortfalls,
  );
  metrics.counterFrom(
    'redis_wait_lost_total',
    'Write batches re-run because their connection closed before WAIT.',
    () => waits().lost,
  );
  for (const key of Object.keys(BUS_STATS) as (keyof RabbitBusStats)[]) {
    const name = `bus_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`;
    metrics.counterFrom(name, BUS_STATS[key], () => bus()[key]);
  }
}

export interface ServiceProcess {
  config: Config;
  log: Log;
  redis: Redis;
  storeOptions: RedisStoreOptions;
  bus: RabbitBus;
  app: App;
  metrics: Metrics;
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
  wire: (service: ServiceProcess) => Promise<Step[]>,
): Promise<void> {
  const config = loadConfig();
  const log = createLog(config.logLevel, name).child({ instance: config.instanceId });
  const tracing = await startTracing(config.tracing, name);
  const metrics = createMetrics();
  const redis = connectRedis(config.redis, name, log);
  const durable = createDurability(redis, {
    replicas: config.redis.waitReplicas,
    timeoutMs: config.redis.waitTimeoutMs,
    maxWaitMs: config.redis.waitMaxMs,
    log,
    metrics: metrics.redis,
  });
  const storeOptions = {
    prefix: config.redis.prefix ?? `${name}:`,
    recordTtlMs: config.recordTtlMs,
    durable,
    metrics: metrics.redis,
  };
  const bus = await createRabbitBus({
    url: config.amqpUrl,
    queuePrefix: config.amqpQueuePrefix,
    commandTtlMs: config.commandTtlMs,
    prefetch: config.amqpPrefetch,
    batchesInFlight: config.amqpBatchesInFlight,
    queueType: config.amqpQueueType,
    singleActiveConsumer: config.amqpSingleActiveConsumer,
    log,
    metrics: metrics.bus,
  });
  serviceCounters(
    metrics,
    () => durable.stats(),
    () => bus.stats(),
  );
  const app = await buildHttp(log, metrics);
  addHealthRoutes(app, () => dependenciesUsable(redis, bus));
  const steps = await wire({ config, log, redis, storeOptions, bus, app, metrics });
  onShutdown(log, [
    () => app.close(),
    ...steps,
    () => bus.close(),
    () => closeRedis(redis),
    () => tracing.flush(),
  ]);
  await app.listen({ port: config.port, host: config.host });
  log.info({ port: config.port }, `${name} service ready`);
}
