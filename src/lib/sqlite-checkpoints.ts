/**
 * WAL checkpoints off the event loop (issue 10): SQLite's automatic checkpoint runs inside
 * the COMMIT that crosses `wal_autocheckpoint` pages, copying the WAL back into the database
 * and fsyncing it, on the thread that committed: the event loop stalled for it, and the
 * checkouts of that turn waited (the p99 of the embedded mode). Here the writer's automatic
 * checkpoint is off, and a worker thread with a connection of its own runs
 * `wal_checkpoint(PASSIVE)` after commits (below): PASSIVE never waits for and never blocks
 * the writer, and copies only frames every reader is done with, so nothing changes for the
 * store's transactions except who pays for the copy.
 *
 * The WAL starts over from its beginning only when a write transaction begins with every
 * frame already copied back; a writer that is never idle (a busy event loop commits, then
 * begins again within the same turn) would keep growing it. So the worker reports the WAL's
 * length after each checkpoint, and once that passes RESTART_FRAMES the writer runs one
 * PASSIVE checkpoint itself between its COMMIT and its next BEGIN (`afterCommit`): it copies
 * only what was written since the worker's last pass, and the next BEGIN restarts the WAL.
 *
 * The worker checkpoints only after commits, and not after every few: the writer counts its
 * commits in shared memory, and the worker, looking every TICK_MS while commits come in,
 * checkpoints once BATCH_COMMITS commits have gathered or the oldest unchecked one is
 * MAX_AGE_MS old. When a look finds nothing new it stops looking and waits on the counter
 * (`Atomics.waitAsync`); the writer's next commit wakes it (`Atomics.notify`, only then), so an
 * idle process has no timer running for its databases. Before, the worker checkpointed every
 * 20 ms whatever happened and posted the WAL's length each time: an idle `npm start` process
 * used 3.7-6.5 % of a core on this VM (0.3-1.6 % without the ticks), and at 100 checkouts/s
 * every checkpoint copied the pages of one or two commits and fsynced twice for them (strace:
 * 2.8 fsyncs and ~48 pwrites per checkout). A checkpoint is also when the WAL reaches the disk
 * (commits are not fsynced, synchronous=NORMAL), so MAX_AGE_MS bounds what a power loss can
 * take; a process crash takes nothing either way.
 *
 * The worker's code is a string (`eval`) so that it runs unchanged from src/ under the tests
 * and from dist/; it loads better-sqlite3 by the path resolved here.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './sqlite.js';

/** How often the worker looks at the commit count while commits come in. */
const TICK_MS = 20;
/**
 * Commits that make a checkpoint due at the next tick. From ~400 commits/s up, that is every
 * tick, as before (bench:ab with 64 instead: p99 at 1.5k and 3k checkouts/s +30-40 %).
 */
const BATCH_COMMITS = 8;
/**
 * The longest a commit waits for its checkpoint (fewer than BATCH_COMMITS after it), counted
 * from the first look that sees it: up to a tick more from the commit itself.
 */
const MAX_AGE_MS = 200;
/** WAL frames (pages, 4 KB) after which the writer makes the WAL start over: ~8 MB. */
const RESTART_FRAMES = 2048;

/** Slots of the shared counters: commits made, checkpoints run, 1 while the worker waits. */
const COMMITS = 0;
const CHECKPOINTS = 1;
const WAITING = 2;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const counters = new Int32Array(workerData.counters);
let checked = 0;
let pendingSince = 0;
let timer;
let closing = false;
function look() {
  const commits = Atomics.load(counters, ${COMMITS});
  if (commits === checked) return rest();
  const now = Date.now();
  if (pendingSince === 0) pendingSince = now;
  if (commits - checked < workerData.batchCommits && now - pendingSince < workerData.maxAgeMs) return;
  try {
    const { log } = checkpoint.get();
    checked = commits;
    pendingSince = 0;
    Atomics.add(counters, ${CHECKPOINTS}, 1);
    parentPort.postMessage(log);
  } catch {
    // Busy or closing: the next look tries again; the writer is never affected.
  }
}
// Nothing new: stop looking until the writer's next commit. WAITING goes up before the
// wait compares the counter, so a commit either sees it and notifies, or changed the counter
// before the comparison and the wait returns at once.
function rest() {
  clearInterval(timer);
  timer = undefined;
  Atomics.store(counters, ${WAITING}, 1);
  const wait = Atomics.waitAsync(counters, ${COMMITS}, checked);
  const wake = () => {
    Atomics.store(counters, ${WAITING}, 0);
    if (!closing) timer = setInterval(look, workerData.tickMs);
  };
  if (wait.async) wait.value.then(wake);
  else wake();
}
rest();
parentPort.on('message', () => {
  closing = true;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpoints {
  /** Call right after each COMMIT, outside any transaction. */
  afterCommit(): void;
  /** Checkpoints the worker has run (for the tests). */
  runs(): number;
  /** Stops the worker and closes its connection (before the writer's own close). */
  close(): Promise<void>;
}

/** Moves `db`'s checkpoints to a worker thread; an in-memory database has none to move. */
export function checkpointInBackground(db: Db): Checkpoints {
  if (db.memory) return { afterCommit: () => undefined, runs: () => 0, close: () => Promise.resolve() };
  db.pragma('wal_autocheckpoint = 0');
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const shared = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
  const counters = new Int32Array(shared);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      driver,
      file: db.name,
      counters: shared,
      tickMs: TICK_MS,
      batchCommits: BATCH_COMMITS,
      maxAgeMs: MAX_AGE_MS,
    },
  });
  // The process must not stay alive for it, nor die of it.
  worker.unref();
  worker.on('error', () => undefined);
  let walFrames = 0;
  worker.on('message', (frames: unknown) => {
    if (typeof frames === 'number') walFrames = frames;
  });
  const restart = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    afterCommit() {
      Atomics.add(counters, COMMITS, 1);
      if (Atomics.load(counters, WAITING) === 1) Atomics.notify(counters, COMMITS);
      if (walFrames < RESTART_FRAMES) return;
      // Busy: the worker is mid-checkpoint; the next commit tries again.
      const { busy } = restart.get() as { busy: number };
      if (busy === 0) walFrames = 0;
    },
    runs: () => Atomics.load(counters, CHECKPOINTS),
    async close() {
      worker.postMessage('close');
      await exited;
    },
  };
}
