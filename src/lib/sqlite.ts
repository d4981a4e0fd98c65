/**
 * The embedded store's SQLite plumbing (docs/architecture.md, Storage), shared by the three
 * `store.sqlite.ts` files: opening a database, the group commit, and the purge of expired
 * rows. The expiring records that make participant steps and client retries idempotent are
 * in sqlite-records.ts.
 *
 * better-sqlite3 is synchronous, so a store method runs its whole transaction in one
 * event-loop turn: nothing can interleave, which is the atomicity Lua gives the Redis stores.
 * The steps of a turn share one commit (`groupCommit`).
 * Numbers are bound as doubles; every amount stays <= MAX_AMOUNT (2^53 - 1), where doubles
 * are exact and INTEGER affinity stores them back as integers. So arithmetic happens in
 * JavaScript with an overflow check, never in SQL.
 */
import Database from 'better-sqlite3';
import { checkpointInBackground } from './sqlite-checkpoints.js';

export type Db = Database.Database;

/** What every SQLite store factory takes besides its file. */
export interface SqliteStoreOptions {
  /** How long saga records, tombstones, op ids and finished sagas are remembered. */
  recordTtlMs: number;
}

/**
 * WAL with synchronous=NORMAL: a commit costs no fsync (only checkpoints do), and a
 * `kill -9` loses no committed transaction; only power loss can drop the last ones
 * (35 trials here). busy_timeout covers a second process opening the same file.
 */
export function openDatabase(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Runs store steps and hands back their results once they are committed. */
export interface GroupCommit {
  /** Runs `step` now (synchronously, in order with every other step) and resolves after COMMIT. */
  run<T>(step: () => T): Promise<T>;
  /** Commits what is pending, then closes the database. */
  close(): Promise<void>;
}

interface Waiting {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit (docs/architecture.md): the steps of one event-loop turn share one transaction,
 * committed at the end of the turn (setImmediate). A step's own `db.transaction` becomes a
 * savepoint inside it, so a step that throws undoes only itself, and each step still sees
 * the writes of the steps before it, exactly as if they had committed one by one. Its promise
 * resolves only after the COMMIT: nothing is acknowledged before it is as durable as with a
 * commit per step, and no read reports data that a failed commit then drops. One commit per
 * turn instead of per step: the commit (WAL write, locks) was most of a checkout's CPU time.
 */
export function groupCommit(db: Db): GroupCommit {
  // Commits never stall on a checkpoint: a worker thread runs them (sqlite-checkpoints.ts).
  const checkpoints = checkpointInBackground(db);
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  let batch: Waiting[] | undefined;

  const fail = (waiting: Waiting[], error: unknown): void => waiting.forEach((w) => w.reject(error));
  const lostError = (): Error => new Error('SQLite rolled back the transaction of this turn');

  function flush(current: Waiting[]): void {
    if (batch !== current) return; // already flushed (by close) or failed
    batch = undefined;
    if (!db.inTransaction) {
      fail(current, lostError());
      return;
    }
    try {
      commit.run();
    } catch (error) {
      if (db.inTransaction) rollback.run();
      fail(current, error);
      return;
    }
    checkpoints.afterCommit();
    current.forEach((w) => w.resolve());
  }

  return {
    run<T>(step: () => T): Promise<T> {
      // A throw in here (BEGIN failed, the step threw) rejects this step's promise.
      return new Promise<T>((resolve, reject) => {
        // An error (I/O, full disk) can make SQLite roll the whole transaction back: the
        // steps of this turn so far did not happen.
        if (batch !== undefined && !db.inTransaction) {
          const lost = batch;
          batch = undefined;
          fail(lost, lostError());
        }
        let current = batch;
        if (current === undefined) {
          begin.run();
          const opened: Waiting[] = [];
          current = batch = opened;
          setImmediate(() => flush(opened));
        }
        const value = step();
        current.push({ resolve: () => resolve(value), reject });
      });
    },
    async close(): Promise<void> {
      // The worker's connection closes first, so the writer's close (the last connection)
      // checkpoints what is left and removes the WAL.
      await checkpoints.close();
      if (batch !== undefined) flush(batch);
      db.close();
    },
  };
}

/**
 * Deletes expired rows a few at a time, inside the write transaction that calls it.
 * Readers already treat an expired row as absent, so this only bounds the table's size:
 * every 256th write removes up to 512 rows, faster than writes can add them, with no timer
 * to own or stop and no extra commit. `expires_at` must be indexed.
 */
export function expiryPurge(db: Db, table: string, keyColumn: string): (now: number) => void {
  const purge = db.prepare(
    `DELETE FROM ${table} WHERE ${keyColumn} IN
       (SELECT ${keyColumn} FROM ${table} WHERE expires_at <= ? LIMIT 512)`,
  );
  let writes = 0;
  return (now) => {
    writes += 1;
    if (writes % 256 === 0) purge.run(now);
  };
}
