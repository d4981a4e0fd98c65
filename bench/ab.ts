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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster, stopCluster } from '../harness/cluster.js';
import { startEmbedded } from '../harness/launch.js';
import { envPairs } from '../src/cluster/options.js';
import { abMarkdown, runOrder, summarise, type AbRun, type Side } from './ab-summary.js';
import { GENERATOR, loadAverage, startCpu, systemCpu } from './cpu.js';
import { startOpenLoop } from './load.js';
import { call, CREDIT_PER_USER, PRICE, STOCK_PER_ITEM } from './scenarios.js';
import { TARGETS, type Endpoint, type TargetName } from './targets.js';

const HOST = '127.0.0.1';
/** Items and users the orders are drawn from (one line each, see orders/batch_init). */
const CATALOGUE = 1000;
const WARMUP_SECONDS = 3;

/** Orders one open-loop run sends (the generator's last interval may round up). */
const ordersFor = (rate: number, seconds: number): number => Math.ceil(rate * seconds) + 10;

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

function describe(spec: SideSpec, here: string): string {
  const parts = [spec.root === here ? 'this checkout' : spec.root];
  for (const [k, v] of Object.entries(spec.serviceEnv)) parts.push(`services ${k}=${v}`);
  for (const [k, v] of Object.entries(spec.clusterEnv)) parts.push(`cluster ${k}=${v}`);
  return parts.join(', ');
}

async function startSide(target: TargetName, spec: SideSpec, dir: string): Promise<Started> {
  if (target === 'embedded') {
    mkdirSync(dir, { recursive: true });
    const system = await startEmbedded(dir, spec.serviceEnv, [], spec.root);
    const pid = system.child.pid ?? 0;
    return {
      at: { host: HOST, port: system.port },
      pids: () => ({ embedded: pid }),
      stop: () => system.stop(),
    };
  }
  const cluster = await startCluster(dir, {
    env: { LOG_LEVEL: 'warn', ...spec.clusterEnv },
    serviceEnv: spec.serviceEnv,
    lean: target === 'cluster-lean',
    allActive: target === 'cluster-all-active',
    root: spec.root,
  });
  return {
    at: { host: HOST, port: cluster.state().gatewayPort },
    pids: () =>
      Object.fromEntries(
        cluster
          .state()
          .components.filter((c) => c.pid > 0)
          .map((c) => [c.name, c.pid]),
      ),
    stop: () => stopCluster(cluster),
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
      serviceEnv: envPairs(values['a-env'], '--a-env'),
      clusterEnv: envPairs(values['a-cluster-env'], '--a-cluster-env'),
    },
    B: {
      side: 'B',
      root: resolve(values['b-root'] ?? '.'),
      serviceEnv: envPairs(values['b-env'], '--b-env'),
      clusterEnv: envPairs(values['b-cluster-env'], '--b-cluster-env'),
    },
  };
  const order = runOrder(rounds, rates);
  // Fresh orders for every run and the warm-up, drawn in send order.
  const warmupRate = Math.max(...rates);
  const ordersNeeded =
    ordersFor(warmupRate, WARMUP_SECONDS) +
    rounds * rates.reduce((sum, rate) => sum + ordersFor(rate, seconds), 0);

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
      const count = ordersFor(rate, runSeconds);
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
        const sideCpu = systemCpu(cpu);
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
