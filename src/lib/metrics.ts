/**
 * Prometheus text exposition without a client library: counters by label set and gauges read
 * at scrape time. Small on purpose — the hot path only increments a Map entry.
 */
export interface Counter {
  inc(labels: readonly string[], by?: number): void;
}

export interface Metrics {
  counter(name: string, help: string, labelNames: readonly string[]): Counter;
  /** A value read when scraped (e.g. a store's or the bus's own counters). */
  gauge(name: string, help: string, read: () => number): void;
  render(): string;
}

const escape = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function createMetrics(): Metrics {
  const blocks: (() => string)[] = [];
  return {
    counter(name, help, labelNames) {
      const values = new Map<string, number>();
      blocks.push(() => {
        const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} counter`];
        for (const [key, value] of values) lines.push(`${name}${key} ${value}`);
        return lines.join('\n');
      });
      return {
        inc(labels, by = 1) {
          const key =
            labelNames.length === 0
              ? ''
              : `{${labelNames.map((label, i) => `${label}="${escape(labels[i] ?? '')}"`).join(',')}}`;
          values.set(key, (values.get(key) ?? 0) + by);
        },
      };
    },
    gauge(name, help, read) {
      blocks.push(() => `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${read()}`);
    },
    render: () => `${blocks.map((block) => block()).join('\n')}\n`,
  };
}

/** Gauges every process has. */
export function addProcessGauges(metrics: Metrics): void {
  metrics.gauge(
    'process_resident_memory_bytes',
    'Resident memory size in bytes.',
    () => process.memoryUsage().rss,
  );
  metrics.gauge('process_uptime_seconds', 'Seconds since the process started.', () => process.uptime());
}
