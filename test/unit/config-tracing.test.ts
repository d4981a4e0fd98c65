/** Tracing is opt-in by the standard OTEL_* variables (config.ts). */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config.js';
import { startTracing, tracer } from '../../src/lib/tracing.js';

const tracing = (env: Record<string, string>) => loadConfig(env).tracing;

describe('tracing configuration', () => {
  it('is off by default, and then loads no SDK', async () => {
    expect(tracing({}).exporter).toBe('none');
    expect((await startTracing(tracing({}), 'order')).enabled).toBe(false);
    expect(tracer().enabled).toBe(false);
  });

  it('turns on with an exporter or an OTLP endpoint, and off with OTEL_SDK_DISABLED', () => {
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({
      exporter: 'otlp',
      endpoint: 'http://localhost:4318/v1/traces',
    });
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      exporter: 'otlp',
      endpoint: 'http://collector:4318/v1/traces',
    });
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/t' }).endpoint).toBe(
      'http://c:4318/t',
    );
    expect(tracing({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' }).exporter).toBe(
      'none',
    );
    expect(tracing({ OTEL_TRACES_EXPORTER: 'console', OTEL_SDK_DISABLED: 'true' }).exporter).toBe('none');
    expect(tracing({ OTEL_SERVICE_NAME: 'shop-order' }).serviceName).toBe('shop-order');
    expect(
      tracing({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })
        .sampleRatio,
    ).toBe(0.25);
  });

  it('refuses an exporter it does not have and a ratio out of range', () => {
    expect(() => tracing({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => tracing({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG/,
    );
  });
});
