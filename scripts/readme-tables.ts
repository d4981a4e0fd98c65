/**
 * `npm run docs:tables`: writes the README's benchmark and chaos tables from the curated
 * results (bench/results/<target>.json, chaos/results/latest.json and loss-window.json), between
 * `<!-- tables:NAME -->` and `<!-- /tables:NAME -->`, and renders bench/results/<target>.svg.
 * A result becomes curated by copying a run from results/ over it; test/unit/readme-tables.test.ts
 * fails while the README shows anything else.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { latencyPlot } from '../bench/plot.js';
import { hopSentence, type Report } from '../bench/report.js';
import { formatTable, type Row } from '../harness/report.js';

export const BENCH_TARGETS = ['embedded', 'cluster'] as const;

/** What every curated result carries besides its figures. */
interface Stamp {
  commit?: string;
  machine?: { cpus: number; loadavg: number[] | null };
}

export interface ChaosResult extends Stamp {
  started: string;
  rows: Row[];
  fuzz?: { count: number; statuses: Record<string, number>; violations: number };
}

/** One round of chaos/loss-window.ts: writes acknowledged vs found after a master crash. */
export interface LossWindowRound {
  round: number;
  acknowledged: number;
  unanswered: number;
  stock: number;
  lost: number;
  invented: number;
  longestGapMs: number;
}

export interface LossWindowResult extends Stamp {
  at: string;
  results: LossWindowRound[];
}

export interface Curated {
  bench: Record<(typeof BENCH_TARGETS)[number], Report>;
  chaos: ChaosResult;
  lossWindow: LossWindowResult;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

export function loadCurated(root: string): Curated {
  return {
    bench: {
      embedded: readJson<Report>(join(root, 'bench/results/embedded.json')),
      cluster: readJson<Report>(join(root, 'bench/results/cluster.json')),
    },
    chaos: readJson<ChaosResult>(join(root, 'chaos/results/latest.json')),
    lossWindow: readJson<LossWindowResult>(join(root, 'chaos/results/loss-window.json')),
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => (n >= 100 ? int(n) : String(Math.round(n * 10) / 10));
const pct = (ratio: number): string => `${Math.round(ratio * 1000) / 10} %`;
const day = (iso: string): string => iso.slice(0, 10);
const load = (loadavg: readonly number[] | null | undefined): string =>
  loadavg ? `load average ${loadavg.join(' ')}` : 'load average not recorded';

/** The scenarios the README shows, in this order; the full table is in the JSON. */
const SHOWN = ['ceiling', 'committed', 'repeat', 'stress', 'latency-50'];

function benchBlock(label: string, target: string, report: Report): string {
  const { meta, scenarios, facts, goals } = report;
  const rows = SHOWN.flatMap((id) => scenarios.filter((s) => s.id === id)).map((s) => {
    const { p50, p99 } = s.load.latencyMs;
    const ratio = s.id.startsWith('latency-') ? '—' : pct(s.ratio);
    return `| ${s.title} | ${int(s.load.throughput)} | ${ratio} | ${ms(p50)} | ${ms(p99)} | ${int(s.cpuUsPerRequest)} |`;
  });
  const { stock, payment, orders } = facts.batchInitMs;
  const rss = Object.entries(facts.rssMb)
    .map(([name, mb]) => {
      const own = facts.anonMb?.[name];
      return `${name} ${Math.round(mb)} MB${own === undefined ? '' : ` (${Math.round(own)} MB private)`}`;
    })
    .join(', ');
  const met = goals.filter((g) => g.met).map((g) => `${g.goal} (${g.value})`);
  const missed = goals.filter((g) => !g.met).map((g) => `${g.goal} (${g.value})`);
  return [
    `${target[0]?.toUpperCase() ?? ''}${target.slice(1)} ([JSON](bench/results/${target}.json)): commit ${meta.commit}, ${day(meta.startedAt)}, ` +
      `${meta.cores} cores, ${load(meta.loadBefore)} before the run.` +
      (meta.hop === undefined ? '' : ` ${hopSentence(meta.hop)}`),
    '',
    '| scenario | req/s | ÷ ceiling | p50 | p99 (ms) | CPU-µs per request |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `batch_init of ${int(report.settings.stressN)} items / users / orders: ${stock} / ${payment} / ` +
      `${orders} ms; RSS holding them: ${rss}. Goals met: ${met.join('; ') || 'none'}. ` +
      `Missed: ${missed.join('; ') || 'none'}.`,
  ].join('\n');
}

function chaosBlock(chaos: ChaosResult): string {
  const lines = [
    `Commit ${chaos.commit ?? 'not recorded'}, ${day(chaos.started)}, ${chaos.machine?.cpus ?? '?'} cores, ` +
      `${load(chaos.machine?.loadavg)} at the end ([JSON](chaos/results/latest.json)):`,
    '',
    formatTable(chaos.rows),
  ];
  const fuzz = chaos.fuzz;
  if (fuzz) {
    const statuses = Object.entries(fuzz.statuses)
      .map(([status, n]) => `${n} × ${status}`)
      .join(', ');
    lines.push(
      '',
      `Fuzzing: ${int(fuzz.count)} random bad requests through the gateway got ${statuses}; ` +
        `${fuzz.violations} violations.`,
    );
  }
  return lines.join('\n');
}

function lossWindowBlock(loss: LossWindowResult): string {
  const rows = loss.results.map(
    (r) =>
      `| ${r.round} | ${int(r.acknowledged)} | ${int(r.unanswered)} | ${int(r.stock)} | ${int(r.lost)} | ` +
      `${int(r.invented)} | ${ms(r.longestGapMs / 1000)} s |`,
  );
  const acknowledged = loss.results.reduce((sum, r) => sum + r.acknowledged, 0);
  const lost = loss.results.reduce((sum, r) => sum + r.lost, 0);
  return [
    `Commit ${loss.commit ?? 'not recorded'}, ${day(loss.at)}, ${load(loss.machine?.loadavg)} ` +
      '([JSON](chaos/results/loss-window.json)):',
    '',
    '| round | acknowledged writes | unanswered | stock after | lost | invented | longest gap without acks |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `${int(lost)} of ${int(acknowledged)} acknowledged writes lost over ${loss.results.length} kills.`,
  ].join('\n');
}

export function blocks(curated: Curated): Record<string, string> {
  return {
    'bench-embedded': benchBlock('Embedded (`npm start`)', 'embedded', curated.bench.embedded),
    'bench-cluster': benchBlock('Cluster (`npm run cluster`)', 'cluster', curated.bench.cluster),
    chaos: chaosBlock(curated.chaos),
    'loss-window': lossWindowBlock(curated.lossWindow),
  };
}

/** The README with every marked block replaced, formatted as `prettier --check` wants it. */
export async function renderReadme(readme: string, curated: Curated, file: string): Promise<string> {
  let out = readme;
  for (const [name, body] of Object.entries(blocks(curated))) {
    const open = `<!-- tables:${name} -->`;
    const close = `<!-- /tables:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`README.md lacks ${open} ... ${close}`);
    out = `${out.slice(0, start + open.length)}\n\n${body}\n\n${out.slice(end)}`;
  }
  return format(out, { ...(await resolveConfig(file)), filepath: file });
}

async function main(): Promise<void> {
  const root = process.cwd();
  const curated = loadCurated(root);
  const file = join(root, 'README.md');
  writeFileSync(file, await renderReadme(readFileSync(file, 'utf8'), curated, file));
  for (const target of BENCH_TARGETS) {
    writeFileSync(join(root, 'bench/results', `${target}.svg`), latencyPlot(curated.bench[target]));
  }
  console.log('README.md tables and bench/results/*.svg written from the curated results');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
