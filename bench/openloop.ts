/**
 * Open-loop load generator (a child process of bench/run.ts): sends requests at a fixed rate
 * whatever the server does, like wrk2, so latency under load is not flattered by coordinated
 * omission (a closed-loop client that waits for each answer sends less exactly when the
 * server is slow). Each request's latency is measured from the moment it was due, not from
 * when a free connection took it, so time spent waiting for a connection counts too.
 *
 * Plain keep-alive HTTP/1.1 over raw sockets (no pipelining, responses with Content-Length,
 * which Fastify and nginx always send here): cheap enough to leave the cores to the server.
 *
 * argv[2] is the JSON of `OpenLoopSpec`. Protocol with the parent (so that loading this
 * script is not charged to the run): prints `READY` once its connections are open, starts on
 * a line `go` on stdin, prints one line `BENCH_JSON {...}` (`LoadResult`) and exits when stdin
 * closes.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { summarise, type OpenLoopSpec, type StatusClass } from './load.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as OpenLoopSpec;
const total = Math.max(1, Math.round(spec.rate * spec.seconds));
const intervalMs = 1000 / spec.rate;
const latencies = new Float64Array(total);
const status: Record<StatusClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
let completed = 0;
let errors = 0;
let sent = 0;
let lastDoneAt = 0;
const queue: number[] = []; // indices of due requests no connection took yet
let start = 0;
const HEADER_END = Buffer.from('\r\n\r\n');

interface Conn {
  socket: Socket;
  busy: boolean;
  /** When the request on this connection was due. */
  intended: number;
  buffer: Buffer;
  dead: boolean;
}

function requestBytes(k: number): Buffer {
  const path = spec.template.replace('{id}', String(spec.lo + (k % spec.count)));
  return Buffer.from(`${spec.method} ${path} HTTP/1.1\r\nHost: ${spec.host}:${spec.port}\r\n\r\n`);
}

function open(): Conn {
  const socket = connect({ host: spec.host, port: spec.port, noDelay: true });
  const conn: Conn = { socket, busy: false, intended: 0, buffer: Buffer.alloc(0), dead: false };
  socket.on('data', (chunk: Buffer) => onData(conn, chunk));
  const fail = (): void => {
    if (conn.dead) return;
    conn.dead = true;
    if (conn.busy) errors++;
    conn.busy = false;
    const index = conns.indexOf(conn);
    if (index >= 0 && !finished()) conns[index] = open();
  };
  socket.on('error', fail);
  socket.on('close', fail);
  return conn;
}

/** Parses as many complete responses as the buffer holds (at most one is outstanding). */
function onData(conn: Conn, chunk: Buffer): void {
  conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
  const headerEnd = conn.buffer.indexOf(HEADER_END);
  if (headerEnd < 0) return;
  const head = conn.buffer.subarray(0, headerEnd).toString('latin1');
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
  const end = headerEnd + 4 + length;
  if (conn.buffer.length < end) return;
  conn.buffer = conn.buffer.subarray(end);
  const code = Number(head.slice(9, 12));
  const klass = `${Math.floor(code / 100)}xx` as StatusClass;
  if (klass in status) status[klass]++;
  const now = performance.now();
  latencies[completed++] = now - conn.intended;
  lastDoneAt = now;
  conn.busy = false;
  dispatch();
}

const conns: Conn[] = Array.from({ length: spec.connections }, open);

function dispatch(): void {
  for (const conn of conns) {
    if (queue.length === 0) return;
    if (conn.busy || conn.dead || conn.socket.connecting) continue;
    conn.busy = true;
    const k = queue.shift() as number; // length checked above
    conn.intended = start + k * intervalMs;
    conn.socket.write(requestBytes(k));
  }
}

function finished(): boolean {
  return sent >= total && completed + errors >= total;
}

function tick(): void {
  const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
  for (; sent < due; sent++) queue.push(sent);
  dispatch();
  if (sent < total) setTimeout(tick, 1);
}

function report(): void {
  for (const conn of conns) conn.socket.destroy();
  process.stdin.once('end', () => process.exit(0));
  process.stdin.resume();
  const lost = total - completed - errors;
  const result = summarise({
    latenciesMs: latencies.subarray(0, completed),
    seconds: Math.max(spec.seconds, (lastDoneAt - start) / 1000),
    status,
    errors: errors + lost,
  });
  process.stdout.write(`BENCH_JSON ${JSON.stringify({ ...result, offeredRate: spec.rate })}\n`);
}

function begin(): void {
  start = performance.now();
  // Sending stops after `seconds`; answers still on their way get `drainSeconds` to arrive.
  const drainDeadline = start + (spec.seconds + spec.drainSeconds) * 1000;
  const poll = setInterval(() => {
    if (finished() || performance.now() > drainDeadline) {
      clearInterval(poll);
      report();
    }
  }, 50);
  tick();
}

const waitConnected = setInterval(() => {
  if (conns.some((c) => c.socket.connecting)) return;
  clearInterval(waitConnected);
  process.stdout.write('READY\n');
  let input = '';
  const onInput = (chunk: Buffer): void => {
    input += chunk.toString();
    if (!input.includes('go\n')) return;
    process.stdin.off('data', onInput);
    process.stdin.pause();
    begin();
  };
  process.stdin.on('data', onInput);
}, 10);
