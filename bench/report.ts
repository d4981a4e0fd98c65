/**
 * The benchmark's outputs: the JSON of a run, its Markdown table, and the check against the
 * goals of issue 7 (which a run reports but never enforces: speed depends on the machine).
 */
import type { HopCost } from './hop-cost.js';
import type { RunFacts, ScenarioResult, Settings } from './scenarios.js';
import type { TargetName } from './targets.js';

export interface Goal {
  goal: string;
  value: string;
  met: boolean;
}

export interface Meta {
  target: TargetName;
  quick: boolean;
  startedAt: string;
  finishedAt: string;
  commit: string;
  node: string;
  cores: number;
  /** /proc/loadavg (1, 5, 15 min) before the run and after it. */
  loadBefore: [number, number, number];
  loadAfter: [number, number, number];
  /**
   * One loopback round trip between two processes, measured before the target started
   * (bench/hop-cost.ts); absent in results older than the probe.
   */
  hop?: HopCost;
  /** `--env` given to the service processes (empty: their defaults). */
  serviceEnv: Record<string, string>;
  /** The system's processes at the start, by name (to name the profiles of `--profile`). */
  pids: Record<string, number>;
}

export interface Report {
  meta: Meta;
  settings: Settings;
  scenarios: ScenarioResult[];
  facts: RunFacts;
  goals: Goal[];
}

const pct = (ratio: number): string => (ratio > 0 ? `${Math.round(ratio * 1000) / 10} %` : '—');

export function evaluateGoals(
  target: TargetName,
  settings: Settings,
  scenarios: ScenarioResult[],
  facts: RunFacts,
): Goal[] {
  const find = (id: string): ScenarioResult | undefined => scenarios.find((s) => s.id === id);
  const goals: Goal[] = [];
  const committed = find('committed');
  const want = target === 'embedded' ? 0.5 : 0.25;
  const withCeiling = scenarios.some((s) => s.id === 'ceiling');
  if (committed && withCeiling) {
    goals.push({
      goal: `committed checkouts >= ${want * 100} % of the ceiling`,
      value: pct(committed.ratio),
      met: committed.ratio >= want,
    });
  }
  const repeat = find('repeat');
  if (repeat && withCeiling)
    goals.push({
      goal: 'repeat checkouts >= 70 % of the ceiling',
      value: pct(repeat.ratio),
      met: repeat.ratio >= 0.7,
    });
  const quarter = find('latency-25');
  if (committed && quarter && committed.cpuUsPerRequest > 0) {
    const times = Math.round((quarter.cpuUsPerRequest / committed.cpuUsPerRequest) * 10) / 10;
    goals.push({
      goal: 'CPU-µs per committed checkout at 25 % of peak <= 2 × at peak',
      value: `${quarter.cpuUsPerRequest} vs ${committed.cpuUsPerRequest} µs (${times} ×)`,
      met: times <= 2,
    });
  }
  if (committed && target !== 'embedded')
    goals.push({
      goal: 'CPU-µs per committed checkout at peak <= 300',
      value: `${committed.cpuUsPerRequest} µs`,
      met: committed.cpuUsPerRequest <= 300,
    });
  const half = find('latency-50');
  if (half) {
    const { p50, p99 } = half.load.latencyMs;
    goals.push({ goal: 'p50 <= 5 ms at 50 % of peak', value: `${p50} ms`, met: p50 <= 5 });
    goals.push({ goal: 'p99 <= 25 ms at 50 % of peak', value: `${p99} ms`, met: p99 <= 25 });
  }
  if (settings.stressN >= 100_000) {
    const { stock, payment, orders } = facts.batchInitMs;
    goals.push({
      goal: `batch_init of ${settings.stressN} items, users, orders <= 2 s each`,
      value: `${stock} / ${payment} / ${orders} ms`,
      met: Math.max(stock, payment, orders) <= 2000,
    });
    const rss = Object.entries(facts.rssMb);
    const largest = Math.max(...rss.map(([, mb]) => mb));
    goals.push({
      goal: `<= 100 MB RSS per service process holding ${settings.stressN} of each`,
      value: rss.map(([name, mb]) => `${name} ${mb}`).join(', ') + ' MB',
      met: largest <= 100,
    });
  }
  return goals;
}

/** order-1 + order-2 -> order, stock-redis-1..3 -> stock-redis: one figure per role. */
function roleTotals(processes: Record<string, number>): Map<string, number> {
  const roles = new Map<string, number>();
  for (const [name, value] of Object.entries(processes)) {
    const role = name === 'load generator' ? 'gen' : name.replace(/-\d+$/, '');
    roles.set(role, (roles.get(role) ?? 0) + value);
  }
  return roles;
}

function cpuByRole(processes: Record<string, number>): string {
  return [...roleTotals(processes)]
    .filter(([, value]) => value >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([role, value]) => `${role} ${Math.round(value)}`)
    .join(', ');
}

/** The committed scenarios: the closed-loop peak, then the open-loop levels below it. */
const COMMITTED_ROWS: [id: string, label: string][] = [
  ['committed', 'peak (closed loop)'],
  ['latency-25', '25 % of peak'],
  ['latency-50', '50 % of peak'],
  ['latency-75', '75 % of peak'],
];

/**
 * CPU-µs per committed checkout by process group (docs/performance.md): how much each group pays
 * for one checkout at the peak and at the open-loop levels below it. The generator is shown
 * but not in the total, which is the system's cost.
 */
export function cpuPerCheckout(scenarios: readonly ScenarioResult[]): {
  roles: string[];
  rows: { id: string; label: string; rate: number; total: number; byRole: Record<string, number> }[];
} {
  const rows = [];
  const seen = new Map<string, number>();
  for (const [id, label] of COMMITTED_ROWS) {
    const s = scenarios.find((x) => x.id === id);
    if (s === undefined || s.load.requests === 0) continue;
    const usPer = (pct: number): number => Math.round(((pct / 100) * s.load.seconds * 1e6) / s.load.requests);
    const byRole: Record<string, number> = {};
    for (const [role, pct] of roleTotals(s.cpu.processes)) {
      byRole[role] = usPer(pct);
      seen.set(role, Math.max(seen.get(role) ?? 0, byRole[role]));
    }
    rows.push({ id, label, rate: s.load.throughput, total: s.cpuUsPerRequest, byRole });
  }
  const roles = [...seen]
    .filter(([role, most]) => role !== 'gen' && most > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([role]) => role);
  if (seen.has('gen')) roles.push('gen');
  return { roles, rows };
}

function cpuPerCheckoutTable(scenarios: readonly ScenarioResult[]): string[] {
  const { roles, rows } = cpuPerCheckout(scenarios);
  if (rows.length === 0) return [];
  return [
    '',
    'CPU-µs per committed checkout, by process group (total without the generator):',
    '',
    `| load | checkouts/s | total | ${roles.join(' | ')} |`,
    `|---|---:|---:|${roles.map(() => '---:').join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.rate} | ${r.total} | ${roles.map((role) => r.byRole[role] ?? 0).join(' | ')} |`,
    ),
  ];
}

/** The machine's cost of one hop, as the reports and the README state it. */
export function hopSentence(hop: HopCost): string {
  const backToBack =
    `One loopback round trip between two processes took ${hop.wallUs} µs and ${hop.cpuUsPerSide} ` +
    `CPU-µs on each side`;
  const trips = hop.roundTrips.toLocaleString('en-US');
  if (hop.idleWallUs === undefined) return `${backToBack} (${trips} round trips before the run).`;
  return (
    `${backToBack} back to back, and ${hop.idleWallUs} µs (median) and ${hop.idleCpuUsPerSide} CPU-µs ` +
    `after ${hop.idleGapMs} ms idle (${trips} and ${hop.idleRoundTrips} round trips before the run).`
  );
}

export function markdown(report: Report): string {
  const { meta, settings, scenarios, facts, goals } = report;
  const lines = [
    `### ${meta.target}${meta.quick ? ' (quick)' : ''} — ${meta.startedAt}`,
    '',
    `Commit ${meta.commit}${Object.keys(meta.serviceEnv).length > 0 ? ` with ${JSON.stringify(meta.serviceEnv)}` : ''}, ` +
      `Node ${meta.node}, ${meta.cores} cores, load average ${meta.loadBefore.join(' ')} ` +
      `before and ${meta.loadAfter.join(' ')} after; wrk ${settings.threads} threads × ${settings.connections} ` +
      `connections, ${settings.seconds} s per run (${settings.pointSeconds} s per point operation, ` +
      `${settings.latencySeconds} s per open-loop level).` +
      (meta.hop === undefined ? '' : ` ${hopSentence(meta.hop)}`),
    '',
    "| scenario | req/s | ÷ ceiling | p50 | p90 | p99 | max (ms) | 2xx / 4xx / 5xx / errors | CPU % (per process, gen = load generator) | CPU-µs per request | others' CPU % |",
    '|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|',
  ];
  for (const s of scenarios) {
    const l = s.load;
    const offered = l.offeredRate === undefined ? '' : ` (offered ${l.offeredRate})`;
    const wrapped = l.wrapped ? ` (${l.wrapped} ids reused)` : '';
    lines.push(
      `| ${s.title}${wrapped} | ${l.throughput}${offered} | ${pct(s.ratio)} | ${l.latencyMs.p50} | ` +
        `${l.latencyMs.p90} | ${l.latencyMs.p99} | ${l.latencyMs.max} | ` +
        `${l.status['2xx']} / ${l.status['4xx']} / ${l.status['5xx']} / ${l.errors} | ${cpuByRole(s.cpu.processes)} | ` +
        `${s.cpuUsPerRequest} | ${Math.round(s.cpu.others)} |`,
    );
  }
  lines.push(...cpuPerCheckoutTable(scenarios));
  const { stock, payment, orders } = facts.batchInitMs;
  lines.push(
    '',
    `batch_init of ${settings.stressN}: stock ${stock} ms, payment ${payment} ms, orders ${orders} ms. ` +
      `RSS holding them: ${Object.entries(facts.rssMb)
        .map(([name, mb]) => `${name} ${mb} MB (${facts.anonMb?.[name] ?? '?'} MB private)`)
        .join(', ')}. Committed peak ${facts.peak} req/s over ${facts.committedOrders} fresh orders.`,
    '',
    '| goal | measured | met |',
    '|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.value} | ${g.met ? 'yes' : '**no**'} |`),
    '',
  );
  return lines.join('\n');
}
