/**
 * The OpenTelemetry SDK behind `tracer()` (tracing.ts), loaded only when tracing is on.
 * Spans are created with the OpenTelemetry API; the active span flows through async work by
 * AsyncLocalStorage (context-async-hooks), so a saga step started inside a request's span is
 * its child without passing contexts around; across processes it travels as a W3C
 * traceparent (W3CTraceContextPropagator) in each command's envelope.
 */
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer as OtelTracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from './config.js';
import type { SpanAttributes, Tracer } from './tracing.js';

const propagator = new W3CTraceContextPropagator();

function clean(attributes: SpanAttributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/** A Tracer over an OpenTelemetry tracer (and the provider to flush). */
export function tracerOver(otel: OtelTracer, flush: () => Promise<void>): Tracer {
  return {
    enabled: true,

    traceparent() {
      const carrier: Record<string, string> = {};
      propagator.inject(context.active(), carrier, {
        set: (c: Record<string, string>, key, value) => {
          c[key] = value;
        },
      });
      return carrier['traceparent'];
    },

    inSpan(name, attributes, work, options = {}) {
      let parent: Context = context.active();
      if (options.parent !== undefined) {
        const carrier = { traceparent: options.parent };
        parent = propagator.extract(context.active(), carrier, {
          get: (c: { traceparent: string }, key) => (key === 'traceparent' ? c.traceparent : undefined),
          keys: () => ['traceparent'],
        });
      }
      const span: Span = otel.startSpan(
        name,
        {
          attributes: clean(attributes),
          kind: options.server === true ? SpanKind.SERVER : SpanKind.INTERNAL,
        },
        parent,
      );
      return context.with(trace.setSpan(parent, span), () =>
        work().then(
          (result) => {
            if (options.end) span.setAttributes(clean(options.end(result)));
            span.end();
            return result;
          },
          (error: unknown) => {
            span.recordException(error instanceof Error ? error : String(error));
            span.setStatus({ code: SpanStatusCode.ERROR });
            span.end();
            throw error;
          },
        ),
      );
    },

    flush,
  };
}

/** A provider for `exporter`: batching for real exporters, one by one for tests (`simple`). */
export function tracerWith(
  exporter: SpanExporter,
  serviceName: string,
  options: { simple?: boolean; sampleRatio?: number } = {},
): Tracer {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(propagator);
  const processor: SpanProcessor =
    options.simple === true ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const ratio = options.sampleRatio ?? 1;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    sampler: new ParentBasedSampler({
      root: ratio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(ratio),
    }),
    spanProcessors: [processor],
  });
  trace.setGlobalTracerProvider(provider);
  return tracerOver(provider.getTracer('checkout-saga'), () => provider.forceFlush());
}

export async function createSdkTracer(config: TracingConfig, serviceName: string): Promise<Tracer> {
  let exporter: SpanExporter;
  if (config.exporter === 'console') {
    exporter = new ConsoleSpanExporter();
  } else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    exporter = new OTLPTraceExporter({ url: config.endpoint });
  }
  return tracerWith(exporter, serviceName, { sampleRatio: config.sampleRatio });
}
