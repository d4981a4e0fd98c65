/**
 * Where the time goes per request: reads the `node --cpu-prof` profiles that
 * `npm run bench -- --profile DIR` left in DIR and the run's report, keeps only the samples
 * taken during one scenario (profiles and the report share CLOCK_MONOTONIC), and prints per
 * process the CPU µs per request by area (Fastify and Node's HTTP, SQLite, Redis client,
 * AMQP, the saga, GC ...) and the top functions by self time.
 *
 * npx tsx bench/profile.ts --report results/bench/latest-embedded.json --dir DIR [--scenario committed]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Report } from './report.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The area a function belongs to, from the file it lives in. */
export function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native: ${functionName}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) {
    if (
      ['fastify', 'find-my-way', 'avvio', 'light-my-request', 'fast-json-stringify'].includes(pkg) ||
      pkg.startsWith('@fastify')
    ) {
      return 'fastify';
    }
    return pkg;
  }
  const core = /^node:(?:internal\/)?([a-z_]+)/.exec(url)?.[1];
  if (core !== undefined) return `node:${core}`;
  const src = /\/(?:src|dist)\/(.+?)\.[jt]s$/.exec(url)?.[1];
  return src !== undefined ? `app: ${src}` : url;
}

interface Breakdown {
  /** Samples' total µs inside the window (idle excluded). */
  busyUs: number;
  byArea: Map<string, number>;
  byFunction: Map<string, number>;
}

export function breakdown(profile: CpuProfile, fromUs: number, toUs: number): Breakdown {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    // A sample's delta is the time since the previous one: that span ends at this sample.
    const next = profile.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t > toUs) return;
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined || frame.functionName === '(idle)') return;
    busyUs += next;
    const a = area(frame);
    byArea.set(a, (byArea.get(a) ?? 0) + next);
    const file = frame.url.replace(/^.*\/(node_modules|src|dist)\//, '$1/');
    const fn = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + next);
  });
  return { busyUs, byArea, byFunction };
}

function top(map: Map<string, number>, count: number): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, count);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      report: { type: 'string' },
      dir: { type: 'string' },
      scenario: { type: 'string', default: 'committed' },
      top: { type: 'string', default: '25' },
    },
  });
  if (values.report === undefined || values.dir === undefined) {
    throw new Error('usage: profile.ts --report REPORT.json --dir PROFILE_DIR [--scenario ID] [--top N]');
  }
  const report = JSON.parse(readFileSync(values.report, 'utf8')) as Report;
  const scenario = report.scenarios.find((s) => s.id === values.scenario);
  if (scenario === undefined) throw new Error(`no scenario ${values.scenario} in ${values.report}`);
  const names = new Map(Object.entries(report.meta.pids).map(([name, pid]) => [pid, name]));
  const requests = scenario.load.requests;
  console.log(`## ${scenario.title}: ${requests} requests, ${scenario.load.throughput} req/s\n`);
  for (const file of readdirSync(values.dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1]);
    const profile = JSON.parse(readFileSync(join(values.dir, file), 'utf8')) as CpuProfile;
    const { startUs, endUs } = scenario.window;
    if (profile.endTime < startUs || profile.startTime > endUs) continue;
    const b = breakdown(profile, startUs, endUs);
    const name = names.get(pid) ?? `pid ${pid}`;
    // The profiler samples wall time: a process the shared cores left waiting still collects
    // samples. /proc's CPU time of the same window scales the shares to real CPU µs.
    const windowUs = endUs - startUs;
    const cpuPct = scenario.cpu.processes[name];
    const scale = cpuPct === undefined || b.busyUs === 0 ? 1 : ((cpuPct / 100) * windowUs) / b.busyUs;
    const perRequest = (us: number): string => ((us * scale) / requests).toFixed(1);
    console.log(
      `### ${name}: ${perRequest(b.busyUs)} CPU-µs per request (${cpuPct ?? '?'} % of a core by /proc, ` +
        `profiler busy ${((b.busyUs / windowUs) * 100).toFixed(0)} % of the window)\n`,
    );
    console.log('| area | µs per request | share |\n|---|---:|---:|');
    for (const [name, us] of top(b.byArea, 15)) {
      console.log(`| ${name} | ${perRequest(us)} | ${((us / b.busyUs) * 100).toFixed(1)} % |`);
    }
    console.log('\n| function (self time) | µs per request | share |\n|---|---:|---:|');
    for (const [name, us] of top(b.byFunction, Number(values.top))) {
      console.log(`| \`${name}\` | ${perRequest(us)} | ${((us / b.busyUs) * 100).toFixed(1)} % |`);
    }
    console.log('');
  }
}

main();
