/**
 * Tracing as the code sees it: one process-wide tracer, a no-op until `startTracing` installs
 * the OpenTelemetry SDK. Opt-in by the standard OTEL_* variables (config.ts). Off, the SDK is
 * never loaded (`tracing-sdk.ts` is imported dynamically) and every call below is a property
 * read and a direct call of the work: nothing measurable on the hot path.
 *
 * What is traced (docs/observability.md): the HTTP request (http.ts wraps every route's
 * handler), the saga and each of its steps (saga.ts), and each participant command, i.e. its
 * store script (commands.ts), linked across processes by a W3C `traceparent` that travels in
 * each command's envelope, also inside batched AMQP messages (bus.ts).
 */
import type { TracingConfig } from './config.js';

export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Tracer {
  readonly enabled: boolean;
  /** The W3C traceparent of the active span, for a message leaving this process. */
  traceparent(): string | undefined;
  /**
   * Runs `work` in a new span: a child of `parent` (a traceparent from a message or header)
   * when given, else of the active span. The span ends when `work` settles; a rejection
   * marks it failed. `end` may add attributes from the result (e.g. the reply's outcome).
   */
  inSpan<T>(
    name: string,
    attributes: SpanAttributes,
    work: () => Promise<T>,
    options?: { parent?: string | undefined; end?: (result: T) => SpanAttributes; server?: boolean },
  ): Promise<T>;
  /** Exports what is buffered; on shutdown. */
  flush(): Promise<void>;
}

const NOOP: Tracer = {
  enabled: false,
  traceparent: () => undefined,
  inSpan: (_name, _attributes, work) => work(),
  flush: () => Promise.resolve(),
};

let current: Tracer = NOOP;

/** The process's tracer (the no-op one unless tracing was started). */
export function tracer(): Tracer {
  return current;
}

/** Installs a tracer: `startTracing` does, and tests do with an in-memory exporter. */
export function useTracer(next: Tracer): void {
  current = next;
}

/** Loads the SDK and installs a tracer when the configuration turns tracing on. */
export async function startTracing(config: TracingConfig, processName: string): Promise<Tracer> {
  if (config.exporter === 'none') return current;
  const sdk = await import('./tracing-sdk.js');
  useTracer(await sdk.createSdkTracer(config, config.serviceName ?? processName));
  return current;
}

/** W3C traceparent: version 00, 32 hex trace id, 16 hex span id, 2 hex flags. */
export const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
