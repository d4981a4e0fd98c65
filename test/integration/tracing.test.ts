/**
 * Tracing end to end over the real brokers: order, stock and payment as three separate apps
 * (each with its own Redis connection and its own RabbitMQ bus, as three processes have) in
 * this process, with an in-memory span exporter. One checkout must yield ONE connected trace:
 * the HTTP request, the saga and its steps in order, and the stock and payment commands,
 * whose traceparent crossed RabbitMQ inside a batched message.
 */
import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRabbitBus, type RabbitBus } from '../../src/bus/rabbit.js';
import { loadConfig } from '../../src/lib/config.js';
import { buildHttp, type App } from '../../src/lib/http.js';
import { silentLog } from '../../src/lib/log.js';
import { closeRedis, connectRedis, deleteByPrefix, type Redis } from '../../src/lib/redis.js';
import { tracer, useTracer, type Tracer } from '../../src/lib/tracing.js';
import { tracerWith } from '../../src/lib/tracing-sdk.js';
import { priceLookup } from '../../src/services/order/price.js';
import { orderRoutes } from '../../src/services/order/routes.js';
import { createCheckout, type Checkout } from '../../src/services/order/saga.js';
import { createRedisOrderStore } from '../../src/services/order/store.redis.js';
import { paymentCommands } from '../../src/services/payment/commands.js';
import { paymentRoutes } from '../../src/services/payment/routes.js';
import { createRedisPaymentStore } from '../../src/services/payment/store.redis.js';
import { stockCommands } from '../../src/services/stock/commands.js';
import { stockRoutes } from '../../src/services/stock/routes.js';
import { createRedisStockStore } from '../../src/services/stock/store.redis.js';
import { createClient } from '../../harness/client.js';
import { storeConnection } from '../support/redis-stores.js';
import { orderReadyToPay } from '../support/shop.js';

const ROOT = `t:${randomUUID()}:`;
const config = loadConfig(process.env);
const log = silentLog();
const exporter = new InMemorySpanExporter();
const apps: App[] = [];
const buses: RabbitBus[] = [];
const connections: Redis[] = [];
let checkout: Checkout;
let previous: Tracer;
let admin: Redis;

/** One "process": its own Redis connection and store options, its own bus, its own app. */
async function processParts(name: string) {
  const [redis, options] = storeConnection(config, log, ROOT)(name);
  connections.push(redis);
  const bus = await createRabbitBus({
    url: config.amqpUrl,
    queuePrefix: `${ROOT}`,
    commandTtlMs: config.commandTtlMs,
    log,
  });
  buses.push(bus);
  const app = await buildHttp(log);
  apps.push(app);
  return { redis, options, bus, app };
}

beforeAll(async () => {
  previous = tracer();
  useTracer(tracerWith(exporter, 'checkout-saga-test', { simple: true }));
  admin = connectRedis(config.redis, 'trace-test-admin', log);

  const stock = await processParts('stock');
  const stockStore = createRedisStockStore(stock.redis, stock.options);
  await stock.bus.serve('stock', stockCommands(stockStore));
  stockRoutes(stock.app, stockStore);

  const payment = await processParts('payment');
  const paymentStore = createRedisPaymentStore(payment.redis, payment.options);
  await payment.bus.serve('payment', paymentCommands(paymentStore));
  paymentRoutes(payment.app, paymentStore);

  const order = await processParts('order');
  const orderStore = createRedisOrderStore(order.redis, order.options);
  checkout = createCheckout({
    store: orderStore,
    bus: order.bus,
    owner: 'trace-test',
    timing: config.saga,
    log,
  });
  orderRoutes(order.app, { store: orderStore, checkout, price: priceLookup(order.bus, config.saga) });

  await Promise.all(apps.map((app) => app.listen({ port: 0, host: '127.0.0.1' })));
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await checkout?.close();
  await Promise.all(buses.map((bus) => bus.close()));
  await Promise.all(connections.map((redis) => closeRedis(redis)));
  await deleteByPrefix(admin, ROOT);
  await closeRedis(admin);
  useTracer(previous);
});

function url(app: App): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return `http://127.0.0.1:${address.port}`;
}

/** The trace as an indented tree, for the test's output. */
function tree(spans: readonly ReadableSpan[]): string {
  const lines: string[] = [];
  const children = (id: string | undefined) =>
    spans
      .filter((s) => s.parentSpanContext?.spanId === id)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const walk = (span: ReadableSpan, depth: number) => {
    const service = String(span.attributes['checkout.service'] ?? 'order');
    const outcome = span.attributes['checkout.outcome'] ?? span.attributes['http.response.status_code'] ?? '';
    lines.push(`${'  '.repeat(depth)}${span.name} [${service}] ${String(outcome)}`);
    children(span.spanContext().spanId).forEach((child) => walk(child, depth + 1));
  };
  children(undefined).forEach((root) => walk(root, 0));
  return lines.join('\n');
}

describe('tracing across order, stock and payment over RabbitMQ', () => {
  it('gives one checkout one connected trace: request, saga, steps, and both participants', async () => {
    const [stockUrl, paymentUrl, orderUrl] = apps.map(url) as [string, string, string];
    const stockApi = createClient(stockUrl, 2);
    const paymentApi = createClient(paymentUrl, 2);
    const orderApi = createClient(orderUrl, 2);
    const shop = { payment: paymentApi, stock: stockApi, order: orderApi };
    const { orderId } = await orderReadyToPay(shop, { credit: 100, price: 7, stock: 5, quantity: 2 });
    exporter.reset();

    expect((await orderApi.post(`/orders/checkout/${orderId}`)).status).toBe(200);
    [stockApi, paymentApi, orderApi].forEach((api) => api.close());

    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'POST /orders/checkout/:order_id');
    expect(request).toBeDefined();
    const traceId = request?.spanContext().traceId;
    const trace = spans.filter((s) => s.spanContext().traceId === traceId);
    console.log(`trace ${traceId} (${trace.length} spans):\n${tree(trace)}`);

    // Connected: one root (the request), every other span's parent is in the same trace.
    const ids = new Set(trace.map((s) => s.spanContext().spanId));
    const roots = trace.filter((s) => s.parentSpanContext === undefined);
    expect(roots.map((s) => s.name)).toEqual(['POST /orders/checkout/:order_id']);
    for (const span of trace) {
      if (span !== roots[0]) expect(ids.has(span.parentSpanContext?.spanId ?? ''), span.name).toBe(true);
    }
    const byName = (name: string) => trace.filter((s) => s.name === name);
    const parentOf = (span: ReadableSpan | undefined) =>
      trace.find((s) => s.spanContext().spanId === span?.parentSpanContext?.spanId);
    expect(byName('saga')).toHaveLength(1);
    expect(byName('saga')[0]?.attributes['order_id']).toBe(orderId);
    expect(byName('saga')[0]?.attributes['checkout.outcome']).toBe('committed');
    for (const [step, command] of [
      ['saga reserve', 'stock reserve'],
      ['saga charge', 'payment charge'],
    ] as const) {
      expect(byName(step), step).toHaveLength(1);
      expect(parentOf(byName(step)[0])?.name).toBe('saga');
      // At least once: a re-send would add a copy, all under the same step.
      expect(byName(command).length, command).toBeGreaterThanOrEqual(1);
      for (const span of byName(command)) {
        expect(parentOf(span)?.name).toBe(step);
        expect(span.attributes['checkout.outcome']).toBe('ok');
      }
    }
    expect(new Set(trace.map((s) => s.attributes['checkout.service']))).toEqual(
      new Set([undefined, 'order', 'stock', 'payment']),
    );
  });
});
