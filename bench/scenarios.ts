/**
 * The benchmark's scenarios (issue 7; docs/performance.md, Method), run in one sequence against one
 * started target so every ratio compares figures of the same run:
 *
 *   ceiling -> public stress mix (timed batch_init of 100k of each, then random checkouts)
 *   -> point operations -> committed checkouts (fresh orders) -> repeat checkouts (the orders
 *   just paid) -> latency under load (fresh orders again, open loop at 25/50/75 % of the
 *   committed peak).
 *
 * batch_init of orders replaces orders "0".."n-1" with unpaid ones, which is how each
 * checkout scenario gets orders that have never been checked out.
 */
import { GENERATOR, memoryMb, startCpu, systemCpu, type CpuUsage } from './cpu.js';
import { runWrk, startOpenLoop, type LoadResult, type Target, type WrkSpec } from './load.js';
import type { Endpoint, Running } from './targets.js';

export interface Settings {
  quick: boolean;
  /** Length of the main closed-loop runs. */
  seconds: number;
  /** Length of each point operation's run. */
  pointSeconds: number;
  /** Length of each open-loop run. */
  latencySeconds: number;
  /** Closed-loop run before the measured committed checkouts, on orders of their own. */
  warmupSeconds: number;
  /** Items, users and orders of the public stress mix (100k in full runs). */
  stressN: number;
  threads: number;
  connections: number;
  /** Fractions of the committed peak for the open-loop runs. */
  loadLevels: number[];
}

/** Scenario groups, in the order they run; `--only` picks some (repeat and latency need committed). */
export const GROUPS = ['ceiling', 'stress', 'point', 'committed', 'repeat', 'latency'] as const;
export type Group = (typeof GROUPS)[number];

export interface ScenarioResult {
  id: string;
  title: string;
  load: LoadResult;
  cpu: CpuUsage;
  /** Throughput ÷ the ceiling's throughput in the same run; 0 when the ceiling did not run. */
  ratio: number;
  /** CPU time of the system's processes (not the generator) per completed request. */
  cpuUsPerRequest: number;
  /** The run's start and end on CLOCK_MONOTONIC in µs, the clock of `node --cpu-prof` samples. */
  window: { startUs: number; endUs: number };
}

export interface RunFacts {
  /** Milliseconds of each batch_init of the stress mix. */
  batchInitMs: { stock: number; payment: number; orders: number };
  /** RSS in MB of each service process holding stressN of each. */
  rssMb: Record<string, number>;
  /** The private (anonymous) part of that RSS: without the shared Node binary and libraries. */
  anonMb?: Record<string, number>;
  /** Orders created for the committed run, and the peak the latency levels are fractions of. */
  committedOrders: number;
  peak: number;
}

export const STOCK_PER_ITEM = 1_000_000;
export const CREDIT_PER_USER = 1_000_000;
export const PRICE = 1;

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** One request that must answer 200; answers its milliseconds. */
export async function call(at: Endpoint, method: 'GET' | 'POST', path: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`http://${at.host}:${at.port}${path}`, { method });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${method} ${path} answered ${response.status}: ${body}`);
  return Math.round(performance.now() - started);
}

/** Without a ceiling run (`--only` left it out): an estimate to size the committed run. */
const CEILING_GUESS = 30_000;

/** How many scenarios runScenarios records for these groups: the progress line's total. */
export function scenarioCount(s: Settings, groups: ReadonlySet<Group>): number {
  const committed = ['committed', 'repeat', 'latency'].some((g) => groups.has(g as Group));
  return (
    (groups.has('ceiling') ? 1 : 0) +
    (groups.has('stress') ? 1 : 0) +
    (groups.has('point') ? 6 : 0) +
    (committed ? 1 : 0) +
    (groups.has('repeat') ? 1 : 0) +
    (groups.has('latency') ? s.loadLevels.length : 0)
  );
}

/** `step` announces each scenario before it runs; `line` reports results and facts. */
export interface ScenarioProgress {
  step(text: string): void;
  status(text: string): void;
  line(text: string): void;
}

export async function runScenarios(
  target: Running,
  s: Settings,
  groups: ReadonlySet<Group>,
  progress: ScenarioProgress,
): Promise<{ scenarios: ScenarioResult[]; facts: RunFacts }> {
  const scenarios: ScenarioResult[] = [];
  let ceiling = 0;

  const record = async (
    id: string,
    title: string,
    pids: Record<string, number>,
    generate: () => Promise<LoadResult>,
  ): Promise<ScenarioResult> => {
    progress.step(title);
    const stop = startCpu(pids);
    const startUs = monotonicUs();
    const load = await generate();
    const endUs = monotonicUs();
    const cpu = stop();
    const result: ScenarioResult = {
      id,
      title,
      load,
      cpu,
      ratio: id === 'ceiling' ? 1 : ceiling > 0 ? Math.round((load.throughput / ceiling) * 1000) / 1000 : 0,
      cpuUsPerRequest:
        load.requests > 0 ? Math.round(((systemCpu(cpu) / 100) * load.seconds * 1e6) / load.requests) : 0,
      window: { startUs, endUs },
    };
    scenarios.push(result);
    const { p50, p99 } = load.latencyMs;
    progress.line(
      `${title}: ${load.throughput} req/s, p50 ${p50} ms, p99 ${p99} ms, ${JSON.stringify(load.status)}`,
    );
    return result;
  };

  const wrk =
    (at: Endpoint, t: Omit<Target, 'host' | 'port'>, mode: WrkSpec['mode'], seconds: number) => () =>
      runWrk({ ...at, ...t, mode, seconds, threads: s.threads, connections: s.connections });

  const checkoutAt = { method: 'POST', template: '/orders/checkout/{id}' } as const;
  const sys = target.system;

  // 1. Ceiling: warm the no-op up first, so its JIT state matches a system that ran for a while.
  if (groups.has('ceiling')) {
    progress.status('warming up the ceiling');
    await wrk(target.ceiling, { ...checkoutAt, lo: 0, count: 1000 }, 'rand', s.warmupSeconds)();
    ceiling = (
      await record(
        'ceiling',
        'ceiling (no-op handler)',
        target.ceilingPids,
        wrk(target.ceiling, { ...checkoutAt, lo: 0, count: 1000 }, 'rand', s.seconds),
      )
    ).load.throughput;
  }

  // 2. Public stress mix: the reference benchmark's setup, timed, then random checkouts.
  const n = s.stressN;
  progress.status(`batch_init of ${n}`);
  const batchInitMs = {
    stock: await call(sys, 'POST', `/stock/batch_init/${n}/${STOCK_PER_ITEM}/${PRICE}`),
    payment: await call(sys, 'POST', `/payment/batch_init/${n}/${CREDIT_PER_USER}`),
    orders: await call(sys, 'POST', `/orders/batch_init/${n}/${n}/${n}/${PRICE}`),
  };
  progress.line(`batch_init of ${n}: ${JSON.stringify(batchInitMs)} ms`);
  if (groups.has('stress')) {
    await record(
      'stress',
      `public stress mix (random checkouts of ${n} orders)`,
      target.systemPids(),
      wrk(sys, { ...checkoutAt, lo: 0, count: n }, 'rand', s.seconds),
    );
  }
  const memory = Object.entries(target.servicePids()).map(([name, pid]) => [name, memoryMb(pid)] as const);
  const rss = Object.fromEntries(memory.map(([name, m]) => [name, m.rss]));
  const anon = Object.fromEntries(memory.map(([name, m]) => [name, m.anon]));

  // 3. Point operations on the stress mix's items and users.
  const points: [string, 'GET' | 'POST', string][] = [
    ['stock-find', 'GET', '/stock/find/{id}'],
    ['stock-add', 'POST', '/stock/add/{id}/1'],
    ['stock-subtract', 'POST', '/stock/subtract/{id}/1'],
    ['payment-find', 'GET', '/payment/find_user/{id}'],
    ['payment-pay', 'POST', '/payment/pay/{id}/1'],
    ['payment-add-funds', 'POST', '/payment/add_funds/{id}/1'],
  ];
  for (const [id, method, template] of groups.has('point') ? points : []) {
    await record(
      id,
      `${method} ${template.replace('{id}', ':id')}`,
      target.systemPids(),
      wrk(sys, { method, template, lo: 0, count: n }, 'rand', s.pointSeconds),
    );
  }

  const facts = (peak: number, committedOrders: number): RunFacts => ({
    batchInitMs,
    rssMb: rss,
    anonMb: anon,
    committedOrders,
    peak,
  });
  if (!['committed', 'repeat', 'latency'].some((g) => groups.has(g as Group))) {
    return { scenarios, facts: facts(0, 0) };
  }

  // 4. Committed checkouts: enough fresh orders that no id is checked out twice (the
  //    committed rate cannot pass the ceiling), the last `warmup` of them for the warm-up.
  const bound = ceiling > 0 ? ceiling : CEILING_GUESS;
  const warmupOrders = Math.ceil(bound * s.warmupSeconds * 1.2) + 1000;
  const measuredOrders = Math.ceil(bound * s.seconds * 1.2) + 1000;
  const committedOrders = Math.min(1_000_000, warmupOrders + measuredOrders);
  progress.status(`batch_init of ${committedOrders} orders, then the warm-up`);
  await call(sys, 'POST', `/orders/batch_init/${committedOrders}/${n}/${n}/${PRICE}`);
  await wrk(
    sys,
    { ...checkoutAt, lo: committedOrders - warmupOrders, count: warmupOrders },
    'seq',
    s.warmupSeconds,
  )();
  const committed = await record(
    'committed',
    'committed checkouts (fresh orders, full saga)',
    target.systemPids(),
    wrk(sys, { ...checkoutAt, lo: 0, count: committedOrders - warmupOrders }, 'seq', s.seconds),
  );
  const peak = committed.load.throughput;

  // 5. Repeat checkouts of the orders just paid (the ones still in flight at the end excluded).
  if (groups.has('repeat')) {
    const paid = Math.max(1, committed.load.status['2xx'] - 2 * s.connections);
    await record(
      'repeat',
      'repeat checkouts (already paid)',
      target.systemPids(),
      wrk(sys, { ...checkoutAt, lo: 0, count: paid }, 'rand', s.seconds),
    );
  }

  // 6. Latency under load: fixed rates, each run on orders of its own.
  if (groups.has('latency')) {
    const rates = s.loadLevels.map((level) => Math.max(10, Math.round(peak * level)));
    const needed = rates.reduce((sum, rate) => sum + Math.ceil(rate * s.latencySeconds) + 10, 0);
    await call(sys, 'POST', `/orders/batch_init/${needed}/${n}/${n}/${PRICE}`);
    let next = 0;
    for (const [i, rate] of rates.entries()) {
      const level = Math.round((s.loadLevels[i] ?? 0) * 100);
      const lo = next;
      next += Math.ceil(rate * s.latencySeconds) + 10;
      const generator = await startOpenLoop({
        ...sys,
        ...checkoutAt,
        lo,
        count: next - lo,
        rate,
        seconds: s.latencySeconds,
        connections: s.connections,
        drainSeconds: 10,
      });
      try {
        await record(
          `latency-${level}`,
          `committed checkouts at ${level} % of peak (open loop)`,
          { ...target.systemPids(), [GENERATOR]: generator.pid },
          () => generator.run(),
        );
      } finally {
        await generator.close();
      }
    }
  }

  return { scenarios, facts: facts(peak, committedOrders) };
}
