/**
 * `npm run bench [-- --target embedded|cluster|cluster-lean|cluster-all-active] [--quick] [--out DIR] [--profile DIR] [--only G,G]
 *   [--env K=V]... [--quiet-load N]]`
 *
 * Starts the target and its ceiling, runs every scenario (bench/scenarios.ts) with wrk and the
 * open-loop generator over loopback, stops everything it started, and writes
 * `<out>/<timestamp>-<target>.{json,md,svg}` plus `latest-<target>.*` copies; `<out>` is
 * results/bench (ignored by git). The README shows the curated bench/results/<target>.json:
 * copy a run there and run `npm run docs:tables`. `--quick` runs each scenario for about a
 * second on small data: a smoke test for CI.
 * `--profile DIR` starts the service processes under `node --cpu-prof` (bench/profile.ts reads
 * the profiles). `--only ceiling,committed` runs some scenario groups (for profiling and
 * before/after comparisons; repeat and latency need committed and run it too). `--env K=V`
 * (repeatable) sets a variable on every service process, e.g. AMQP_BATCHES_IN_FLIGHT=1.
 * `--quiet-load 2` first waits (up to 10 min) for the 1-minute load average to drop below 2.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAverage } from './cpu.js';
import { WRK } from './load.js';
import { latencyPlot } from './plot.js';
import { evaluateGoals, hopSentence, markdown, type Report } from './report.js';
import { measureHopCost } from './hop-cost.js';
import { GROUPS, runScenarios, scenarioCount, type Group, type Settings } from './scenarios.js';
import { startTarget, TARGETS, type Running } from './targets.js';
import { envPairs } from '../src/cluster/options.js';
import { commitMeasured, resultsDir } from '../scripts/results.js';
import { ensurePackages } from '../src/cluster/packages.js';
import { loadClusterConfig } from '../src/lib/config.js';
import { createProgress } from '../src/lib/progress.js';

const FULL: Settings = {
  quick: false,
  seconds: 10,
  pointSeconds: 5,
  latencySeconds: 10,
  warmupSeconds: 3,
  stressN: 100_000,
  threads: 2,
  connections: 128,
  loadLevels: [0.25, 0.5, 0.75],
};

const QUICK: Settings = {
  quick: true,
  seconds: 1,
  pointSeconds: 1,
  latencySeconds: 1,
  warmupSeconds: 1,
  stressN: 10_000,
  threads: 1,
  connections: 16,
  loadLevels: [0.25, 0.5, 0.75],
};

/** Waits (at most 10 min) until the 1-minute load average is below `below`: the cores are shared. */
async function waitQuiet(below: number): Promise<void> {
  const giveUpAt = Date.now() + 600_000;
  while (loadAverage()[0] >= below && Date.now() < giveUpAt) {
    console.log(`waiting for a quieter machine: load average ${loadAverage().join(' ')}`);
    await sleep(15_000);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'embedded' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      profile: { type: 'string' },
      only: { type: 'string' },
      env: { type: 'string', multiple: true },
      'quiet-load': { type: 'string' },
    },
  });
  const targetName = TARGETS.find((t) => t === values.target);
  if (targetName === undefined)
    throw new Error(`--target is one of ${TARGETS.join(', ')}, got ${values.target}`);
  const groups = new Set<Group>(GROUPS);
  if (values.only !== undefined) {
    groups.clear();
    for (const name of values.only.split(',')) {
      if (!GROUPS.includes(name as Group)) throw new Error(`--only takes ${GROUPS.join(',')}; got ${name}`);
      groups.add(name as Group);
    }
  }
  const settings = values.quick ? QUICK : FULL;
  const serviceEnv = envPairs(values.env);
  const out = values.out === undefined ? resultsDir('bench') : resolve(values.out);
  const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
  mkdirSync(out, { recursive: true });
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });

  // wrk drives every closed-loop scenario: install it like `npm run cluster` installs its
  // packages, so the bench runs on a fresh machine after `npm ci` alone.
  ensurePackages(loadClusterConfig().path, [{ binary: WRK, pkg: 'wrk' }]);
  if (values['quiet-load'] !== undefined) await waitQuiet(Number(values['quiet-load']));
  const startedAt = new Date();
  const loadBefore = loadAverage();
  console.log(`bench ${targetName}${settings.quick ? ' --quick' : ''}: load average ${loadBefore.join(' ')}`);
  // Before the target starts, so nothing else of the bench's runs beside it.
  const hop = await measureHopCost(settings.quick ? 1000 : 10_000, settings.quick ? 50 : 200);
  console.log(hopSentence(hop));
  // Step 1 starts the target, then one step per scenario; on stderr, so stdout stays the report.
  const progress = createProgress(process.stderr, 1 + scenarioCount(settings, groups));
  progress.step(`starting the ${targetName} target`);
  const target: Running = await startTarget(targetName, { profileDir, serviceEnv });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= target.stop());
  const onSignal = (): void => {
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const pids = target.systemPids();
  let result;
  try {
    result = await runScenarios(target, settings, groups, {
      step: (text) => progress.step(text),
      status: (text) => progress.status(text),
      line: (text) => progress.print(`  ${text}`),
    });
  } finally {
    progress.status(`stopping the ${targetName} target`);
    await stop();
    progress.done();
  }
  const report: Report = {
    meta: {
      target: targetName,
      quick: settings.quick,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit: commitMeasured(),
      node: process.version,
      cores: availableParallelism(),
      loadBefore,
      loadAfter: loadAverage(),
      hop,
      serviceEnv,
      pids,
    },
    settings,
    scenarios: result.scenarios,
    facts: result.facts,
    goals: evaluateGoals(targetName, settings, result.scenarios, result.facts),
  };
  const stamp = startedAt
    .toISOString()
    .replace(/[:]/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const base = join(out, `${stamp}-${targetName}`);
  const table = markdown(report);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, table);
  writeFileSync(`${base}.svg`, latencyPlot(report));
  for (const ext of ['json', 'md', 'svg'])
    copyFileSync(`${base}.${ext}`, join(out, `latest-${targetName}.${ext}`));
  console.log(`\n${table}\nwritten: ${base}.{json,md,svg}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
