/**
 * `npm run bench -- --quick` against the embedded target: proves the benchmark runs and writes
 * sane output. Never asserts a speed (the machine is shared; speed belongs to the bench).
 * Needs dist/ (npm test builds first) and wrk (installed by test/support/packages.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCpu, GENERATOR } from '../../bench/cpu.js';
import { summarise } from '../../bench/load.js';
import type { Report } from '../../bench/report.js';

const run = promisify(execFile);

describe('bench helpers', () => {
  it('summarise gives nearest-rank percentiles and the throughput', () => {
    const latencies = Float64Array.from({ length: 100 }, (_, i) => 100 - i); // 100 .. 1, unsorted
    const status = { '1xx': 0, '2xx': 100, '3xx': 0, '4xx': 0, '5xx': 0 };
    const result = summarise({ latenciesMs: latencies, seconds: 2, status, errors: 0 });
    expect(result.latencyMs).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
    expect(result.throughput).toBe(50);
  });

  it('startCpu charges a busy process and a reaped generator child', async () => {
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 5000; while (Date.now() < end);']);
    try {
      const stop = startCpu({ busy: busy.pid ?? 0 });
      await run(process.execPath, ['-e', 'const end = Date.now() + 300; while (Date.now() < end);']);
      const usage = stop();
      expect(usage.processes['busy']).toBeGreaterThan(0);
      expect(usage.processes[GENERATOR]).toBeGreaterThan(0);
      expect(usage.machine).toBeGreaterThan(0);
    } finally {
      busy.kill('SIGKILL');
    }
  });
});

describe('npm run bench -- --quick (embedded)', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-quick-'));
  let report: Report;
  let stdout = '';

  beforeAll(async () => {
    const result = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
      timeout: 180_000,
    });
    stdout = result.stdout;
    report = JSON.parse(readFileSync(join(out, 'latest-embedded.json'), 'utf8')) as Report;
  }, 200_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes the JSON, the Markdown table and the SVG plot', () => {
    expect(stdout).toContain('written:');
    expect(readFileSync(join(out, 'latest-embedded.md'), 'utf8')).toContain('| committed checkouts');
    expect(readFileSync(join(out, 'latest-embedded.svg'), 'utf8')).toMatch(
      /^<svg [^>]*>[\s\S]*<polyline [\s\S]*<\/svg>\n$/,
    );
    expect(report.meta.target).toBe('embedded');
    expect(report.meta.loadBefore).toHaveLength(3);
    // The machine's cost of one hop, measured before the target started, beside the results.
    expect(report.meta.hop?.roundTrips).toBe(1000);
    expect(report.meta.hop?.cpuUsPerSide).toBeGreaterThan(0);
    expect(report.meta.hop?.idleRoundTrips).toBe(50);
    expect(report.meta.hop?.idleWallUs).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'latest-embedded.md'), 'utf8')).toContain('One loopback round trip');
  });

  it('runs every scenario with answers from the server and ordered percentiles', () => {
    const ids = report.scenarios.map((s) => s.id);
    expect(ids).toEqual([
      'ceiling',
      'stress',
      'stock-find',
      'stock-add',
      'stock-subtract',
      'payment-find',
      'payment-pay',
      'payment-add-funds',
      'committed',
      'repeat',
      'latency-25',
      'latency-50',
      'latency-75',
    ]);
    for (const s of report.scenarios) {
      const { p50, p90, p99, max } = s.load.latencyMs;
      expect(s.load.throughput, s.id).toBeGreaterThan(0);
      expect(s.load.status['5xx'], s.id).toBe(0);
      expect(p50 <= p90 && p90 <= p99 && p99 <= max, `${s.id} percentiles`).toBe(true);
      // Reported for every run; a 1 s run of a light generator may round to 0 ticks.
      expect(s.cpu.processes[GENERATOR], `${s.id} generator CPU`).toBeGreaterThanOrEqual(0);
      expect(s.ratio, s.id).toBeGreaterThan(0);
    }
  });

  it('charges CPU to the system and to the load generator', () => {
    const total = (name: string): number =>
      report.scenarios.reduce((sum, s) => sum + (s.cpu.processes[name] ?? 0), 0);
    expect(total(GENERATOR)).toBeGreaterThan(0);
    expect(total('embedded')).toBeGreaterThan(0);
    expect(report.scenarios.every((s) => s.cpuUsPerRequest > 0)).toBe(true);
  });

  it('checks out fresh orders exactly once in the committed runs, and they all commit', () => {
    for (const s of report.scenarios.filter((x) => x.id === 'committed' || x.id.startsWith('latency-'))) {
      expect(s.load.wrapped ?? 0, s.id).toBe(0);
      expect(s.load.status['4xx'], s.id).toBe(0);
      expect(s.load.status['2xx'], s.id).toBe(s.load.requests);
    }
  });

  it('measures the latency levels at the rates derived from the committed peak', () => {
    const peak = report.facts.peak;
    const rates = report.scenarios.filter((s) => s.id.startsWith('latency-')).map((s) => s.load.offeredRate);
    expect(rates).toEqual([0.25, 0.5, 0.75].map((level) => Math.max(10, Math.round(peak * level))));
    expect(report.goals.map((g) => g.goal)).toContain('p99 <= 25 ms at 50 % of peak');
    expect(existsSync(join(out, 'latest-embedded.json'))).toBe(true);
  });
});
