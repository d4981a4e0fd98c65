/**
 * `npx tsx bench/tracing-cost.ts [checkouts] [rounds]`: CPU-µs per committed checkout with
 * tracing off and on, in one process (all services in one app, SQLite in memory, local bus,
 * requests by inject: no network, no other process), rounds alternating off/on so both see
 * the same machine load. "On" is the real SDK with its batching span processor; the exporter
 * drops the spans, so the figure is the cost of creating, propagating and batching them
 * (what an OTLP exporter adds on top is its serialisation and one HTTP POST per batch).
 *
 * "Off" is the default no-op tracer, whose cost hides in the noise of a whole checkout. So it is
 * measured apart: a counting wrapper gives the tracer calls per checkout, and a tight loop the
 * nanoseconds one no-op call adds over calling the work directly (with the attribute and option
 * objects the call sites build); their product is what tracing-off costs a checkout.
 */
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { buildAllServices, type AllServices } from '../src/all-services.js';
import { createLocalBus } from '../src/bus/local.js';
import { loadConfig } from '../src/lib/config.js';
import { silentLog } from '../src/lib/log.js';
import { tracer, useTracer, type Tracer } from '../src/lib/tracing.js';
import { tracerWith } from '../src/lib/tracing-sdk.js';
import { openSqliteOrderStore } from '../src/services/order/store.sqlite.js';
import { openSqlitePaymentStore } from '../src/services/payment/store.sqlite.js';
import { openSqliteStockStore } from '../src/services/stock/store.sqlite.js';

const CHECKOUTS = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 4);
let exported = 0;

const dropping: SpanExporter = {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
    exported += spans.length;
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};

async function system(): Promise<AllServices> {
  const options = { recordTtlMs: 3_600_000 };
  return buildAllServices(
    {
      order: openSqliteOrderStore(':memory:', options),
      stock: openSqliteStockStore(':memory:', options),
      payment: openSqlitePaymentStore(':memory:', options),
    },
    createLocalBus({ commandTtlMs: 30_000 }),
    loadConfig({}),
    silentLog(),
  );
}

/** Orders ready to check out, each with one line of a well stocked item and a rich user. */
async function prepare(app: AllServices['app'], count: number): Promise<string[]> {
  await app.inject({ method: 'POST', url: `/stock/batch_init/10/1000000000/1` });
  await app.inject({ method: 'POST', url: `/payment/batch_init/10/1000000000` });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const order = await app.inject({ method: 'POST', url: `/orders/create/${i % 10}` });
    const id = order.json<{ order_id: string }>().order_id;
    await app.inject({ method: 'POST', url: `/orders/addItem/${id}/${i % 10}/1` });
    ids.push(id);
  }
  return ids;
}

/** CPU-µs per checkout of `ids`, 16 at a time. */
async function measure(app: AllServices['app'], ids: string[]): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < ids.length; i += 16) {
    const answers = await Promise.all(
      ids.slice(i, i + 16).map((id) => app.inject({ method: 'POST', url: `/orders/checkout/${id}` })),
    );
    if (answers.some((a) => a.statusCode !== 200)) throw new Error('a checkout failed');
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ids.length;
}

const off = tracer();

/** The no-op tracer, counting its calls. */
function counting(inner: Tracer): Tracer & { calls: number } {
  const wrapper = {
    calls: 0,
    enabled: inner.enabled,
    traceparent: () => {
      wrapper.calls += 1;
      return inner.traceparent();
    },
    inSpan: <T>(...args: Parameters<Tracer['inSpan']>): Promise<T> => {
      wrapper.calls += 1;
      return inner.inSpan(...(args as Parameters<typeof inner.inSpan<T>>));
    },
    flush: () => inner.flush(),
  };
  return wrapper;
}

/** ns one no-op tracer call adds over calling `work` itself, shaped like the saga's call sites. */
function noopCallNs(calls = 2_000_000): number {
  const work = (): Promise<number> => Promise.resolve(1);
  const cpuNs = (loop: () => void): number => {
    const start = process.cpuUsage();
    loop();
    const used = process.cpuUsage(start);
    return ((used.user + used.system) * 1000) / calls;
  };
  const direct = (): void => {
    for (let i = 0; i < calls; i++) void work();
  };
  const traced = (): void => {
    for (let i = 0; i < calls; i++) {
      void off.inSpan('saga reserve', { 'checkout.service': 'order', 'saga.participant': 'stock' }, work, {
        end: (n: number) => ({ 'checkout.outcome': n }),
      });
      off.traceparent();
    }
  };
  // Warm both up, then take the best of three: the lower bound is the call's own cost.
  direct();
  traced();
  const best = (loop: () => void): number => Math.min(cpuNs(loop), cpuNs(loop), cpuNs(loop));
  return Math.max(0, best(traced) - best(direct));
}
const offSystem = await system();
const sdk: Tracer = tracerWith(dropping, 'tracing-cost');
useTracer(sdk);
const onSystem = await system();
useTracer(off);

const results: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['off', 'on'] as const) {
    const app = mode === 'off' ? offSystem.app : onSystem.app;
    useTracer(mode === 'off' ? off : sdk);
    const ids = await prepare(app, CHECKOUTS);
    results[mode].push(await measure(app, ids));
    await sdk.flush();
  }
}
const counter = counting(off);
useTracer(counter);
const counted = await prepare(offSystem.app, CHECKOUTS);
counter.calls = 0;
await measure(offSystem.app, counted);
const callsPerCheckout = counter.calls / CHECKOUTS;
useTracer(off);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
for (const mode of ['off', 'on'] as const) {
  console.log(
    `tracing ${mode}: CPU-us per checkout ${results[mode].map((v) => v.toFixed(0)).join(' ')} (median ${median(results[mode]).toFixed(0)})`,
  );
}
console.log(
  `spans exported while on: ${exported} (${(exported / (CHECKOUTS * ROUNDS)).toFixed(1)} per checkout)`,
);
const perCallNs = noopCallNs();
const offUs = (callsPerCheckout * perCallNs) / 1000;
console.log(
  `tracing off: ${callsPerCheckout.toFixed(1)} no-op tracer calls per checkout x ${perCallNs.toFixed(1)} ns = ` +
    `${offUs.toFixed(2)} CPU-us per checkout (${((100 * offUs) / median(results.off)).toFixed(2)} % of a checkout)`,
);
await offSystem.close();
await onSystem.close();
