/**
 * Static checks of the monitoring that ships in deploy/: the Grafana dashboard charts only
 * metrics the processes really serve (and README lists), Prometheus (compose) scrapes every
 * replica directly, and the Helm chart annotates the pods, can render ServiceMonitors and
 * ships the very same dashboard as a ConfigMap. No Prometheus or Grafana runs here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../src/lib/metrics.js';
import type { RabbitBusStats } from '../../src/bus/rabbit.js';
import { serviceCounters } from '../../src/services/service-process.js';
import { parseManifests, renderChart, useHelmHome } from '../support/chart.js';
import { REPO_ROOT } from '../support/helm.js';
import type { Manifest } from '../support/k8s-schema.js';
import { generatedSecrets } from '../support/compose-secrets.js';

const SERVICES = ['order', 'stock', 'payment'] as const;
const CHART = join(REPO_ROOT, 'deploy', 'helm', 'checkout-saga');
const DASHBOARD_FILE = join(CHART, 'files', 'grafana-dashboard.json');

interface Panel {
  title: string;
  targets: { expr: string }[];
}

/** Families a service process registers, from its registry's own exposition. */
async function servedFamilies(): Promise<Set<string>> {
  const metrics = createMetrics();
  const zero = new Proxy({}, { get: () => 0 }) as RabbitBusStats;
  serviceCounters(
    metrics,
    () => ({ waits: 0, shortfalls: 0, lost: 0 }),
    () => zero,
  );
  const text = await metrics.render();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ''));
}

/** Metric names an expression reads: identifiers followed by a label matcher. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/([a-z_][a-z0-9_]*)\{/g)].map((m) =>
    (m[1] ?? '').replace(/_(bucket|count|sum)$/, ''),
  );
}

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { uid: string; panels: Panel[] };

  it('charts only metrics a service process serves, each listed in README', async () => {
    const served = await servedFamilies();
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    const charted = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) metricsIn(target.expr).forEach((name) => charted.add(name));
    }
    for (const name of charted) {
      expect(served, name).toContain(name);
      expect(readme, name).toContain(`\`${name}\``);
    }
    // The list: requests, outcomes, durations, in flight, stuck, takeovers,
    // compensations, bus confirm and batching, WAIT, scripts.
    for (const name of [
      'http_request_duration_seconds',
      'saga_outcomes_total',
      'saga_duration_seconds',
      'saga_step_duration_seconds',
      'sagas_in_flight',
      'sagas_stuck',
      'saga_takeovers_total',
      'saga_compensations_total',
      'bus_publish_confirm_seconds',
      'bus_commands_per_message',
      'redis_wait_duration_seconds',
      'redis_wait_shortfalls_total',
      'redis_script_duration_seconds',
    ]) {
      expect(charted, name).toContain(name);
    }
  });

  it('README lists every metric a service serves beyond the default process metrics', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    for (const name of await servedFamilies()) {
      if (/^(process_|nodejs_)/.test(name)) continue;
      if (/^bus_[a-z_]+_total$/.test(name)) continue; // listed as bus_<counter>_total
      expect(readme, name).toContain(`\`${name}\``);
    }
  });
});

describe('Prometheus scrape configuration (compose)', () => {
  it('scrapes every replica of each service on its own port, not through the gateway', () => {
    const config = parse(readFileSync(join(REPO_ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    expect(config.scrape_configs.map((c) => c.job_name).sort()).toEqual([...SERVICES].sort());
    for (const job of config.scrape_configs) {
      expect(job.dns_sd_configs).toEqual([
        expect.objectContaining({ names: [`metrics-${job.job_name}`], port: 8080 }),
      ]);
    }
  });

  it('compose: every replica answers to metrics-<service>; the monitoring profile mounts existing files', () => {
    const out = execFileSync(
      'docker-compose',
      ['-f', join(REPO_ROOT, 'deploy', 'compose.yaml'), '-p', 'checkout-saga', 'config'],
      {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...generatedSecrets() },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const file = parse(out) as {
      services: Record<
        string,
        {
          command?: string[];
          profiles?: string[];
          networks?: Record<string, { aliases?: string[] } | null>;
          volumes?: { type: string; source: string }[];
        }
      >;
    };
    for (const service of SERVICES) {
      const replicas = Object.entries(file.services).filter(([, s]) => s.command?.join(' ') === service);
      expect(replicas.length, service).toBe(3); // two in `full`, one in `small`
      for (const [name, replica] of replicas) {
        expect(replica.networks?.['default']?.aliases, name).toContain(`metrics-${service}`);
      }
    }
    for (const name of ['prometheus', 'grafana']) {
      const service = file.services[name];
      expect(service?.profiles).toEqual(['monitoring']);
      for (const volume of service?.volumes ?? []) {
        if (volume.type === 'bind') expect(existsSync(volume.source), volume.source).toBe(true);
      }
    }
  });
});

describe('Helm chart monitoring', () => {
  const home = useHelmHome('deploy-monitoring-');
  type Doc = Manifest & { spec?: Record<string, unknown>; data?: Record<string, string> };
  const render = (...args: string[]): Doc[] => parseManifests(renderChart(home(), ...args));

  it('annotates the service pods for scraping and ships the dashboard ConfigMap', () => {
    const docs = render();
    for (const service of SERVICES) {
      const deployment = docs.find((d) => d.kind === 'Deployment' && d.metadata.name.endsWith(`-${service}`));
      const template = deployment?.spec?.['template'] as {
        metadata: { annotations: Record<string, string> };
      };
      expect(template.metadata.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '8080',
        'prometheus.io/path': '/metrics',
      });
    }
    const dashboards = docs.filter(
      (d) => d.kind === 'ConfigMap' && d.metadata.labels?.['grafana_dashboard'] === '1',
    );
    expect(dashboards).toHaveLength(1);
    expect(JSON.parse(dashboards[0]?.data?.['checkout-saga.json'] ?? '')).toEqual(
      JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')),
    );
    expect(docs.filter((d) => d.kind === 'ServiceMonitor')).toEqual([]);
  });

  it('renders one ServiceMonitor per service that selects its Service and scrapes /metrics on port http', () => {
    const docs = render('--set', 'metrics.serviceMonitor.enabled=true');
    const monitors = docs.filter((d) => d.kind === 'ServiceMonitor');
    expect(monitors).toHaveLength(3);
    for (const monitor of monitors) {
      const selector = (monitor.spec?.['selector'] as { matchLabels: Record<string, string> }).matchLabels;
      const targets = docs.filter(
        (d) =>
          d.kind === 'Service' &&
          Object.entries(selector).every(([key, value]) => d.metadata.labels?.[key] === value),
      );
      expect(targets, monitor.metadata.name).toHaveLength(1);
      const ports = (targets[0]?.spec?.['ports'] as { name: string }[]).map((p) => p.name);
      expect(ports).toContain('http');
      expect(monitor.spec?.['endpoints']).toEqual([
        expect.objectContaining({ port: 'http', path: '/metrics' }),
      ]);
    }
  });
});
