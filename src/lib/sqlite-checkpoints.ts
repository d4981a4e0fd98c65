/**
 * WAL checkpoints off the event loop (issue 10): SQLite's automatic checkpoint runs inside
 * the COMMIT that crosses `wal_autocheckpoint` pages, copying the WAL back into the database
 * and fsyncing it, on the thread that committed: the event loop stalled for it, and the
 * checkouts of that turn waited (the p99 of the embedded mode). Here the writer's automatic
 * checkpoint is off, and a worker thread with a connection of its own runs
 * `wal_checkpoint(PASSIVE)` every few milliseconds: PASSIVE never waits for and never blocks
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
 * The worker's code is a string (`eval`) so that it runs unchanged from src/ under the tests
 * and from dist/; it loads better-sqlite3 by the path resolved here.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './sqlite.js';

/** How often the worker checkpoints: at ~10k commits/s a few hundred KB of WAL each time. */
const INTERVAL_MS = 20;
/** WAL frames (pages, 4 KB) after which the writer makes the WAL start over: ~8 MB. */
const RESTART_FRAMES = 2048;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try {
    const { log } = checkpoint.get();
    parentPort.postMessage(log);
  } catch {
    // Busy or closing: the next tick tries again; the writer is never affected.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpoints {
  /** Call right after each COMMIT, outside any transaction. */
  afterCommit(): void;
  /** Stops the worker and closes its connection (before the writer's own close). */
  close(): Promise<void>;
}

/** Moves `db`'s checkpoints to a worker thread; an in-memory database has none to move. */
export function checkpointInBackground(db: Db): Checkpoints {
  if (db.memory) return { afterCommit: () => undefined, close: () => Promise.resolve() };
  db.pragma('wal_autocheckpoint = 0');
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { driver, file: db.name, intervalMs: INTERVAL_MS },
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
      if (walFrames < RESTART_FRAMES) return;
      // Busy: the worker is mid-checkpoint; the next commit tries again.
      const { busy } = restart.get() as { busy: number };
      if (busy === 0) walFrames = 0;
    },
    async close() {
      worker.postMessage('close');
      await exited;
    },
  };
}
