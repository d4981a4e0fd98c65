/**
 * What one hop costs on the machine the bench runs on: a one-byte TCP ping-pong over loopback
 * between the bench and a child process, measured before the target starts. Every checkout is
 * a chain of such hops (about 37 wake-ups at low load, docs/performance.md), so this figure,
 * printed beside every result, tells two machines (or two days of one shared VM) apart: on
 * this project's VM a round trip across cores cost 64-80 CPU-µs per side, on one core 22-31.
 *
 * Two figures, because they differ by up to 5x on a VM: back to back (each side wakes while
 * its core is still busy), and after an idle pause (each side wakes from an idle, halted
 * core), which is what every hop of a checkout pays at low load. On 2026-11-30 after a
 * reboot, the first fell to 45-59 µs while the second stayed at 84-222 µs, and a lone checkout
 * still took 7-9 ms: the idle figure is the one that predicts low-load latency.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from './stats.js';

export interface HopCost {
  /** Round trips measured (after as many again to warm up). */
  roundTrips: number;
  /** Wall time per round trip, µs. */
  wallUs: number;
  /**
   * CPU time per round trip of the echoing child, µs: one side's share (the sides do the same
   * work; the child runs nothing else, where the bench process may).
   */
  cpuUsPerSide: number;
  /** Round trips each made after `idleGapMs` of silence, and the gap. */
  idleRoundTrips?: number;
  idleGapMs?: number;
  /** Median wall time of one of those round trips, µs. */
  idleWallUs?: number;
  /** CPU time per such round trip of the echoing child, µs: what waking from idle costs a side. */
  idleCpuUsPerSide?: number;
}

/** Silence before each idle round trip: longer than any busy-poll, so both cores go idle. */
const IDLE_GAP_MS = 5;

/**
 * The echoing side: prints its port, echoes every byte, and answers each line on stdin with
 * its own CPU time so far in µs (exiting after the line `exit`). Plain JavaScript, so it
 * starts without a loader.
 */
const ECHO = `
const net = require('node:net');
const readline = require('node:readline');
const server = net.createServer({ noDelay: true }, (socket) => socket.on('data', (data) => socket.write(data)));
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(user + system + '\\n', () => line === 'exit' && process.exit(0));
});
`;

export async function measureHopCost(roundTrips = 10_000, idleRoundTrips = 200): Promise<HopCost> {
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['pipe', 'pipe', 'inherit'] });
  // The iterator buffers lines that arrive before they are asked for.
  const lines: AsyncIterator<string> = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done === true) throw new Error('the echo process ended early');
    return line.value;
  };
  /** The child's CPU time so far, µs; `exit` lets it exit after answering. */
  const childCpu = (line: 'read' | 'exit'): Promise<number> => {
    child.stdin.write(`${line}\n`);
    return nextLine().then(Number);
  };
  try {
    const port = Number(await nextLine());
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    await once(socket, 'connect');
    const pingPong = (count: number): Promise<void> =>
      new Promise((resolve) => {
        let left = count;
        const onData = (): void => {
          if (--left === 0) {
            socket.off('data', onData);
            resolve();
          } else socket.write('x');
        };
        socket.on('data', onData);
        socket.write('x');
      });
    await pingPong(roundTrips);
    // The wall clock brackets both readings of the child's CPU, so the interval it charges
    // lies inside the one timed (the two readings add well under a millisecond).
    const startedAt = performance.now();
    const before = await childCpu('read');
    await pingPong(roundTrips);
    const after = await childCpu('read');
    const wallUs = ((performance.now() - startedAt) * 1000) / roundTrips;
    const idleWalls: number[] = [];
    for (let i = 0; i < idleRoundTrips; i++) {
      await sleep(IDLE_GAP_MS);
      const sentAt = performance.now();
      await pingPong(1);
      idleWalls.push((performance.now() - sentAt) * 1000);
    }
    const idleAfter = await childCpu('exit');
    socket.destroy();
    return {
      roundTrips,
      wallUs: round1(wallUs),
      cpuUsPerSide: round1((after - before) / roundTrips),
      idleRoundTrips,
      idleGapMs: IDLE_GAP_MS,
      idleWallUs: round1(median(idleWalls)),
      // The reading of the child's CPU between the two phases is charged here: one line each
      // way, a few µs against ~idleRoundTrips wake-ups.
      idleCpuUsPerSide: round1((idleAfter - after) / Math.max(1, idleRoundTrips)),
    };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
