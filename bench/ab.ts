/**
 * `npm run bench:ab -- [--target cluster|cluster-lean|cluster-all-active|embedded]
 *   [--a-env K=V]... [--b-env K=V]... [--a-cluster-env K=V]... [--b-cluster-env K=V]...
 *   [--a-root DIR] [--b-root DIR] [--rates 200,800] [--seconds 8] [--rounds 3] [--out DIR]`
 *
 * Compares two variants of the system in the same minutes: starts both side by side (each
 * with its own service environment `--x-env`, its own cluster CLI environment
 * `--x-cluster-env` such as RABBITMQ_ERL_FLAGS, and its own built checkout `--x-root`, whose
 * dist/ it runs; default this one), then drives them in turn with the open-loop generator at
 * each fixed rate, round after round, alternating which side goes first (bench/ab-summary.ts).
 * Each run counts the CPU of that side's processes per committed checkout, p50 and p99.
 * Prints every run, the medians, the spread of each side and B ÷ A, and writes
 * `<out>/<timestamp>-ab.{json,md}` (out: results/bench). The idle side costs the measured one
 * a few per cent of a core (`others` in the JSON): the same for both sides.
 *
 * Why fixed rates and not the closed-loop peak: the goals that are hard to measure on this
 * shared VM are the costs at moderate load, and a rate that is the same for both sides is
 * the one comparison a changed peak cannot distort.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { readState } from '../src/cluster/state.js';
import { spawnReady, stopChild } from '../harness/launch.js';
import { abMarkdown, runOrder, summarise, type AbRun, type Side } from './ab-summary.js';
import { GENERATOR, loadAverage, startCpu } from './cpu.js';
import { startOpenLoop } from './load.js';
import { call, CREDIT_PER_USER, PRICE, STOCK_PER_ITEM } from './scenarios.js';
import type { Endpoint } from './targets.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const TARGETS = ['cluster', 'cluster-lean', 'cluster-all-active', 'embedded'] as const;
type AbTarget = (typeof TARGETS)[number];
/** Items and users the orders are drawn from (one line each, see orders/batch_init). */
const CATALOGUE = 1000;
const WARMUP_SECONDS = 3;

interface SideSpec {
  side: Side;
  root: string;
  serviceEnv: Record<string, string>;
  clusterEnv: Record<string, string>;
}

interface Started {
  at: Endpoint;
  /** The processes whose CPU is this side's. */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

function pairs(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`expected K=V, got ${item}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function describe(spec: SideSpec, here: string): string {
  const parts = [spec.root === here ? 'this checkout' : spec.root];
  for (const [k, v] of Object.entries(spec.serviceEnv)) parts.push(`services ${k}=${v}`);
  for (const [k, v] of Object.entries(spec.clusterEnv)) parts.push(`cluster ${k}=${v}`);
  return parts.join(', ');
}

async function startSide(target: AbTarget, spec: SideSpec, dir: string): Promise<Started> {
  if (target === 'embedded') {
    mkdirSync(dir, { recursive: true });
    const ready = await spawnReady(
      process.execPath,
      [join(spec.root, 'dist/single-process.js')],
      { PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'warn', ...spec.serviceEnv },
      30_000,
    );
    const pid = ready.child.pid ?? 0;
    return {
      at: { host: HOST, port: ready.port },
      pids: () => ({ embedded: pid }),
      stop: () => stopChild(ready.child),
    };
  }
  const cli = join(spec.root, 'dist/cluster/cli.js');
  const env = { ...process.env, GATEWAY_PORT: '0', LOG_LEVEL: 'warn', ...spec.clusterEnv };
  const down = async (): Promise<void> => {
    await run(process.execPath, [cli, 'down', '--dir', dir], { env, timeout: 180_000 });
  };
  const flags =
    target === 'cluster-lean' ? ['--lean'] : target === 'cluster-all-active' ? ['--all-active'] : [];
  const envFlags = Object.entries(spec.serviceEnv).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  try {
    await run(process.execPath, [cli, 'up', '--dir', dir, ...flags, ...envFlags], { env, timeout: 300_000 });
  } catch (error) {
    await down().catch(() => undefined);
    throw error;
  }
  const state = () => {
    const current = readState(dir);
    if (current === undefined) throw new Error(`no cluster state in ${dir}`);
    return current;
  };
  return {
    at: { host: HOST, port: state().gatewayPort },
    pids: () =>
      Object.fromEntries(
        state()
          .components.filter((c) => c.pid > 0)
          .map((c) => [c.name, c.pid]),
      ),
    stop: down,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'cluster' },
      'a-env': { type: 'string', multiple: true },
      'b-env': { type: 'string', multiple: true },
      'a-cluster-env': { type: 'string', multiple: true },
      'b-cluster-env': { type: 'string', multiple: true },
      'a-root': { type: 'string' },
      'b-root': { type: 'string' },
      rates: { type: 'string', default: '200,800' },
      seconds: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '64' },
      out: { type: 'string', default: 'results/bench' },
    },
  });
  const target = TARGETS.find((t) => t === values.target);
  if (target === undefined) throw new Error(`--target must be one of ${TARGETS.join(', ')}`);
  const rates = (values.rates ?? '').split(',').map(Number);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  if (
    rates.some((r) => !Number.isInteger(r) || r <= 0) ||
    !(seconds > 0) ||
    !(rounds >= 1) ||
    !(connections >= 1)
  )
    throw new Error('--rates must be positive integers, --seconds, --rounds and --connections positive');
  const here = resolve('.');
  const specs: Record<Side, SideSpec> = {
    A: {
      side: 'A',
      root: resolve(values['a-root'] ?? '.'),
      serviceEnv: pairs(values['a-env']),
      clusterEnv: pairs(values['a-cluster-env']),
    },
    B: {
      side: 'B',
      root: resolve(values['b-root'] ?? '.'),
      serviceEnv: pairs(values['b-env']),
      clusterEnv: pairs(values['b-cluster-env']),
    },
  };
  const order = runOrder(rounds, rates);
  // Fresh orders for every run and the warm-up, drawn in send order.
  const perRun = (rate: number): number => Math.ceil(rate * seconds) + 10;
  const warmupRate = Math.max(...rates);
  const warmupCount = Math.ceil(warmupRate * WARMUP_SECONDS) + 10;
  const ordersNeeded = warmupCount + rounds * rates.reduce((sum, rate) => sum + perRun(rate), 0);

  const loadBefore = loadAverage();
  console.log(`bench:ab ${target}: load average ${loadBefore.join(' ')}`);
  const tmp = mkdtempSync(join(tmpdir(), 'bench-ab-'));
  const started: Partial<Record<Side, Started>> = {};
  const runs: AbRun[] = [];
  try {
    for (const side of ['A', 'B'] as const) {
      console.log(`starting ${side}: ${describe(specs[side], here)}`);
      started[side] = await startSide(target, specs[side], join(tmp, side));
    }
    const sideOf = (side: Side): Started => {
      const s = started[side];
      if (s === undefined) throw new Error(`side ${side} not started`);
      return s;
    };
    const next: Record<Side, number> = { A: 0, B: 0 };
    const drive = async (side: Side, rate: number, runSeconds: number) => {
      const { at } = sideOf(side);
      const lo = next[side];
      const count = Math.ceil(rate * runSeconds) + 10;
      next[side] += count;
      const generator = await startOpenLoop({
        ...at,
        method: 'POST',
        template: '/orders/checkout/{id}',
        lo,
        count,
        rate,
        seconds: runSeconds,
        connections,
        drainSeconds: 10,
      });
      try {
        const startedAt = process.hrtime.bigint();
        const stop = startCpu({ ...sideOf(side).pids(), [GENERATOR]: generator.pid });
        const load = await generator.run();
        const cpu = stop();
        const windowSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        const sideCpu = Object.entries(cpu.processes)
          .filter(([name]) => name !== GENERATOR)
          .reduce((sum, [, pct]) => sum + pct, 0);
        const committed = load.status['2xx'];
        return {
          committed,
          failed: load.requests - committed + load.errors,
          cpuUsPerCheckout:
            committed > 0 ? Math.round(((sideCpu / 100) * windowSeconds * 1e6) / committed) : 0,
          p50Ms: load.latencyMs.p50,
          p99Ms: load.latencyMs.p99,
          othersCpu: cpu.others,
        };
      } finally {
        await generator.close();
      }
    };
    for (const side of ['A', 'B'] as const) {
      const at = sideOf(side).at;
      await call(at, 'POST', `/stock/batch_init/${CATALOGUE}/${STOCK_PER_ITEM}/${PRICE}`);
      await call(at, 'POST', `/payment/batch_init/${CATALOGUE}/${CREDIT_PER_USER}`);
      await call(at, 'POST', `/orders/batch_init/${ordersNeeded}/${CATALOGUE}/${CATALOGUE}/${PRICE}`);
      await drive(side, warmupRate, WARMUP_SECONDS);
    }
    for (const [i, step] of order.entries()) {
      const result = await drive(step.side, step.rate, seconds);
      runs.push({ ...step, ...result });
      console.log(
        `[${i + 1}/${order.length}] round ${step.round + 1} ${step.side} at ${step.rate}/s: ` +
          `${result.cpuUsPerCheckout} CPU-µs per checkout, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ` +
          `${result.committed} committed, ${result.failed} not, others ${result.othersCpu} %`,
      );
    }
  } finally {
    // Each side is stopped even if stopping the other failed; the first failure is reported.
    const stopping = (['B', 'A'] as const).map((side) => started[side]?.stop() ?? Promise.resolve());
    const stopped = await Promise.allSettled(stopping);
    const failed = stopped.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) console.error('could not stop a side:', failed.reason);
    rmSync(tmp, { recursive: true, force: true });
  }
  const rows = summarise(runs);
  const sides = { A: describe(specs.A, here), B: describe(specs.B, here) };
  const md = abMarkdown(rows, sides);
  console.log(`\n${md}`);
  mkdirSync(values.out ?? 'results/bench', { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const base = join(values.out ?? 'results/bench', `${stamp}-ab`);
  const meta = { target, rates, seconds, rounds, connections, loadBefore, loadAfter: loadAverage(), sides };
  writeFileSync(`${base}.json`, `${JSON.stringify({ meta, runs, rows }, null, 2)}\n`);
  writeFileSync(`${base}.md`, `### A/B ${target}, ${new Date().toISOString()}\n\n${md}`);
  console.log(`written: ${base}.{json,md}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
