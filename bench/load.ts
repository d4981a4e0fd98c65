/**
 * The two load generators and the one result shape they share: wrk (closed loop, C, for
 * throughput) and bench/openloop.ts (fixed rate, for latency under load). Both run as child
 * processes that end by themselves; a watchdog kills one by its PID if it overstays.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export interface LoadResult {
  /** Completed responses. */
  requests: number;
  seconds: number;
  /** Completed responses per second. */
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  status: Record<StatusClass, number>;
  /** Socket errors, timeouts and requests never answered. */
  errors: number;
  /** seq mode of wrk: requests that had to reuse an id because the range ran out. */
  wrapped?: number;
  /** Open loop: the rate requests were sent at. */
  offeredRate?: number;
}

/** Where a generator sends: the template holds `{id}`, replaced by an id from lo .. lo+count-1. */
export interface Target {
  host: string;
  port: number;
  method: 'GET' | 'POST';
  template: string;
  lo: number;
  count: number;
}

export interface WrkSpec extends Target {
  /** seq: each id once (wrapping past the end, counted); rand: uniform random ids. */
  mode: 'seq' | 'rand';
  seconds: number;
  threads: number;
  connections: number;
}

export interface OpenLoopSpec extends Target {
  /** Requests per second, sent at even intervals; ids go lo, lo+1, ... in send order. */
  rate: number;
  seconds: number;
  connections: number;
  /** After the last send, how long to wait for answers before counting them as lost. */
  drainSeconds: number;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Percentiles of an array of latencies; nearest-rank, like HdrHistogram. */
export function summarise(input: {
  latenciesMs: Float64Array;
  seconds: number;
  status: Record<StatusClass, number>;
  errors: number;
}): LoadResult {
  const sorted = Float64Array.from(input.latenciesMs).sort();
  const at = (q: number): number =>
    sorted.length === 0 ? 0 : round2(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0);
  return {
    requests: sorted.length,
    seconds: round2(input.seconds),
    throughput: Math.round(sorted.length / input.seconds),
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
    status: input.status,
    errors: input.errors,
  };
}

/** Runs a child that prints one `BENCH_JSON {...}` line, bounded by a watchdog. */
function runJsonChild<T>(command: string, args: string[], limitSeconds: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const watchdog = setTimeout(() => child.kill('SIGKILL'), limitSeconds * 1000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(watchdog);
      const line = /^BENCH_JSON (.*)$/m.exec(out)?.[1];
      if (code !== 0 || line === undefined) {
        reject(new Error(`${command} exited ${code ?? signal}: ${err.trim() || out.trim()}`));
        return;
      }
      resolve(JSON.parse(line) as T);
    });
  });
}

const WRK_SCRIPT = fileURLToPath(new URL('./lua/paths.lua', import.meta.url));
export const WRK = '/usr/bin/wrk';

interface WrkJson {
  requests: number;
  durationUs: number;
  errors: { connect: number; read: number; write: number; timeout: number };
  latencyUs: { p50: number; p90: number; p99: number; max: number };
  status: Record<StatusClass, number>;
  wrapped: number;
}

export async function runWrk(spec: WrkSpec): Promise<LoadResult> {
  const args = [
    `-t${spec.threads}`,
    `-c${spec.connections}`,
    `-d${spec.seconds}s`,
    '--timeout',
    '30s',
    '-s',
    WRK_SCRIPT,
    `http://${spec.host}:${spec.port}`,
    '--',
    spec.method,
    spec.template,
    spec.mode,
    String(spec.lo),
    String(spec.count),
    String(spec.threads),
  ];
  const raw = await runJsonChild<WrkJson>(WRK, args, spec.seconds + 60);
  const seconds = raw.durationUs / 1e6;
  const ms = (us: number): number => round2(us / 1000);
  const e = raw.errors;
  return {
    requests: raw.requests,
    seconds: round2(seconds),
    throughput: Math.round(raw.requests / seconds),
    latencyMs: {
      p50: ms(raw.latencyUs.p50),
      p90: ms(raw.latencyUs.p90),
      p99: ms(raw.latencyUs.p99),
      max: ms(raw.latencyUs.max),
    },
    status: raw.status,
    errors: e.connect + e.read + e.write + e.timeout,
    wrapped: raw.wrapped,
  };
}

const OPEN_LOOP = fileURLToPath(new URL('./openloop.ts', import.meta.url));

export interface OpenLoop {
  pid: number;
  /** Starts sending and resolves with the result once every answer is in (or lost). */
  run(): Promise<LoadResult>;
  /** Lets the generator exit, and waits for it. */
  close(): Promise<void>;
}

/**
 * Starts the open-loop generator and waits until it is loaded and connected, so neither its
 * start-up nor tsx's compile is charged to the run measured between `run` and `close`.
 */
export async function startOpenLoop(spec: OpenLoopSpec): Promise<OpenLoop> {
  const child = spawn(process.execPath, ['--import', 'tsx', OPEN_LOOP, JSON.stringify(spec)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const limitMs = (spec.seconds + spec.drainSeconds + 60) * 1000;
  const watchdog = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => clearTimeout(watchdog));
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const seen = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(out);
        if (match) {
          child.stdout.off('data', onData);
          resolve(match[1] ?? '');
        }
      };
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        check();
      };
      child.stdout.on('data', onData);
      void exited.then(() => reject(new Error(`open-loop generator exited: ${err.trim() || out.trim()}`)));
      check();
    });
  await seen(/^(READY)$/m);
  return {
    pid: child.pid ?? 0,
    async run() {
      const result = seen(/^BENCH_JSON (.*)$/m);
      child.stdin.write('go\n');
      return JSON.parse(await result) as LoadResult;
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}
