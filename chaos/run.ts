/**
 * `npm run chaos`: every workload under every fault against a local cluster, judged by the
 * invariant checker, then the fuzzer; prints the table and writes it as JSON under
 * results/chaos/ (ignored by git): one file per run, latest.json when the run was complete (all
 * workloads and faults, full sizes), and the ledger of any row with a violation or a 5xx. The
 * README's table comes from the curated chaos/results/latest.json: copy a complete run there
 * and run `npm run docs:tables`.
 *
 *   npm run chaos                         start a cluster in a temp dir, run all, stop it
 *   npm run chaos -- --dir .cluster       use the cluster already running there (left running)
 *   npm run chaos -- --url http://...     any deployment, no faults (workloads + fuzz only)
 *   options: --scenarios consistency,mixed,unkeyed  --faults order-1,rabbitmq (substrings; "redis replicas": the three stalled-replica rows)  --quick
 *            --no-fuzz  --no-baseline  --keep-ledgers  --untouched 0.1 (share of untouched batch ids checked
 *            after a fault; the run without a fault checks all)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { check } from '../harness/checker.js';
import { clusterAt, startCluster, stopCluster, type Cluster } from '../harness/cluster.js';
import { allFaults, type Fault } from '../harness/faults.js';
import { CHAOS_ADMIN_TOKEN, operatorFault } from '../harness/operator.js';
import { fuzz, prepareTargets } from '../harness/fuzzer.js';
import { newLedger, saveLedger } from '../harness/ledger.js';
import { createRecorder } from '../harness/recorder.js';
import { formatErrors, formatTable, rowOf, type Row } from '../harness/report.js';
import { runScenario } from '../harness/scenario.js';
import { watchTakeovers } from '../harness/takeovers.js';
import { unkeyedWorkload } from '../harness/unkeyed.js';
import { consistencyWorkload, mixedWorkload, type Workload } from '../harness/workloads.js';
import { commitMeasured, machine, resultsDir } from '../scripts/results.js';
import { createProgress } from '../src/lib/progress.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    dir: { type: 'string' },
    scenarios: { type: 'string', default: 'consistency,mixed,unkeyed' },
    faults: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'no-fuzz': { type: 'boolean', default: false },
    'no-baseline': { type: 'boolean', default: false },
    untouched: { type: 'string', default: '0.1' },
    'keep-ledgers': { type: 'boolean', default: false },
  },
});

/** The saga lease of the services (SAGA_LEASE_MS default): a pause lasts three of them. */
const LEASE_MS = Number(process.env['SAGA_LEASE_MS'] ?? 2000);
const RESULTS = resultsDir('chaos');
/** The operator row's token: the one a --dir cluster was started with, else the chaos one. */
const ADMIN_TOKEN = process.env['ADMIN_TOKEN'] ?? CHAOS_ADMIN_TOKEN;
/** One step per row, the fuzzer and starting a cluster; on stderr, stdout keeps the tables. */
const progress = createProgress(process.stderr);
const say = (line: string): void => progress.print(line);
const SIZES = values.quick
  ? { rounds: 4, buyers: 500, entities: 20_000, orders: 3000 }
  : { rounds: 8, buyers: 1000, entities: 100_000, orders: 12_000 };

function workloads(): Workload[] {
  const wanted = values.scenarios.split(',');
  const list: Workload[] = [];
  if (wanted.includes('consistency'))
    list.push(consistencyWorkload({ rounds: SIZES.rounds, buyers: SIZES.buyers }));
  if (wanted.includes('mixed'))
    list.push(mixedWorkload({ entities: SIZES.entities, orders: SIZES.orders, workers: 64 }));
  // Every write endpoint without a client key: the gateway's own keys make re-sends exact.
  if (wanted.includes('unkeyed')) list.push(unkeyedWorkload({ requests: SIZES.orders, workers: 64 }));
  return list;
}

function selectedFaults(cluster: Cluster | undefined): (Fault | undefined)[] {
  const faults: (Fault | undefined)[] = values['no-baseline'] ? [] : [undefined];
  if (cluster === undefined) return faults;
  const filters = values.faults?.split(',');
  return [
    ...faults,
    ...[...allFaults(cluster, LEASE_MS), operatorFault(cluster, 6, ADMIN_TOKEN)].filter(
      (f) => !filters || filters.some((x) => f.name.includes(x)),
    ),
  ];
}

async function runAll(url: string, cluster: Cluster | undefined, stamp: string): Promise<Row[]> {
  const rows: Row[] = [];
  const faults = selectedFaults(cluster);
  progress.setTotal(
    (values.url === undefined && values.dir === undefined ? 1 : 0) +
      faults.length * workloads().length +
      (values['no-fuzz'] ? 0 : 1),
  );
  for (const fault of faults) {
    for (const workload of workloads()) {
      const label = `${workload.name} / ${fault?.name ?? 'no fault'}`;
      progress.step(label);
      if (cluster) {
        progress.status(`${label}: waiting for a healthy cluster`);
        const sick = await cluster.waitHealthy(120_000);
        if (sick.length > 0) say(`warning: still unhealthy before the run: ${sick.join(', ')}`);
      }
      const takeoverWatch = cluster ? await watchTakeovers(() => cluster.orderReplicas()) : undefined;
      say(`\n== ${label}`);
      let phase = 'preparing';
      // The share of the load sent, on a terminal only: once a second would flood a log file.
      const ticker = setInterval(() => {
        const sent = phase === 'sending' ? ` ${Math.round(workload.progress() * 100)} % sent` : '';
        progress.tick(`${label}: ${phase}${sent}`);
      }, 1000);
      const result = await runScenario({
        onPhase: (now) => {
          phase = now;
          progress.status(`${label}: ${now}`);
        },
        url: cluster?.url ?? url,
        workload,
        ...(fault ? { fault } : {}),
        ...(cluster ? { unfinished: cluster.unfinished } : {}),
        // Untouched batch ids: all of them in the run without a fault, a sample in the others.
        untouched: fault ? Number(values.untouched) : 1,
      }).finally(() => clearInterval(ticker));
      const takeovers = await takeoverWatch?.stop();
      const row = rowOf(result, takeovers);
      rows.push(row);
      say(formatTable([row]));
      say(`prepare ${row.prepareSeconds} s, run ${row.durationSeconds} s, check ${row.checkSeconds} s`);
      if (values['keep-ledgers'] || result.violations > 0 || row.serverErrors > 0) {
        const file = join(RESULTS, `ledger-${stamp}-${workload.name}-${row.fault.replace(/\W+/g, '_')}.json`);
        saveLedger(file, result.ledger);
        say(`ledger kept in ${file}`);
      }
    }
  }
  return rows;
}

async function runFuzz(url: string): Promise<Record<string, unknown>> {
  const ledger = newLedger(url);
  const rec = createRecorder(ledger, { connections: 32, timeoutMs: 10_000 });
  const targets = await prepareTargets(rec);
  const started = Date.now();
  const count = values.quick ? 2000 : 10_000;
  const kinds = await fuzz(rec, targets, count, 32);
  const seconds = (Date.now() - started) / 1000;
  rec.close();
  const statuses: Record<string, number> = {};
  for (const e of ledger.requests.filter((x) => x.op === 'fuzz')) {
    const s = String(e.tries[e.tries.length - 1]?.status ?? 'none');
    statuses[s] = (statuses[s] ?? 0) + 1;
  }
  const report = await check(ledger, { settleMs: 30_000 });
  return {
    count,
    seconds,
    kinds,
    statuses,
    violations: report.violations.length,
    violationKinds: report.kinds,
  };
}

async function main(): Promise<number> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let cluster: Cluster | undefined;
  let ownDir: string | undefined;
  if (values.url === undefined) {
    if (values.dir !== undefined) {
      cluster = clusterAt(resolve(values.dir));
    } else {
      ownDir = mkdtempSync(join(tmpdir(), 'chaos-cluster-'));
      progress.step(`starting a cluster in ${ownDir}`);
      // The admin API on, for the operator row. A full run checks out ~10^6 orders in half an
      // hour, and every record lives RECORD_TTL_MS (24 h): ~0.9 GB in the order Redis, far past
      // the default 256 MB sized for ~3 checkouts/s sustained (README, "Memory"), where every
      // write would answer 503. The suite is about faults, not about that limit (the maxmemory
      // integration test is).
      cluster = await startCluster(ownDir, { env: { ADMIN_TOKEN, CLUSTER_REDIS_MAXMEMORY: '2gb' } });
    }
  }
  const url = values.url ?? cluster?.url ?? '';
  const started = new Date().toISOString();
  try {
    const rows = await runAll(url, cluster, stamp);
    if (!values['no-fuzz']) progress.step('fuzzing');
    const fuzzResult = values['no-fuzz'] ? undefined : await runFuzz(cluster?.url ?? url);
    progress.done();
    const result = {
      started,
      finished: new Date().toISOString(),
      commit: commitMeasured(),
      machine: machine(),
      sizes: SIZES,
      target: cluster ? 'cluster' : url,
      rows,
      fuzz: fuzzResult,
    };
    writeFileSync(join(RESULTS, `chaos-${stamp}.json`), JSON.stringify(result, null, 2));
    // latest.json is the table the README quotes: only a complete run replaces it.
    const complete =
      cluster !== undefined && !values.quick && !values['no-baseline'] && values.faults === undefined;
    if (complete && values.scenarios === 'consistency,mixed,unkeyed' && fuzzResult !== undefined) {
      writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(result, null, 2));
    }
    console.log(`\n${formatTable(rows)}\n\n${formatErrors(rows)}`);
    if (fuzzResult) console.log(`\nfuzz: ${JSON.stringify(fuzzResult)}`);
    const failed =
      rows.some((r) => r.violations > 0) || (fuzzResult !== undefined && fuzzResult['violations'] !== 0);
    return failed ? 1 : 0;
  } finally {
    progress.done();
    if (cluster && ownDir) {
      await stopCluster(cluster);
      rmSync(ownDir, { recursive: true, force: true });
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
