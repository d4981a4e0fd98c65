/**
 * The embedded store's SQLite plumbing (docs/architecture.md, Storage), shared by the three
 * `store.sqlite.ts` files: opening a database, and the expiring records that make
 * participant steps and client retries idempotent.
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
import { OK, outcomeOf, refused, type Created, type Outcome, type Reason } from './outcome.js';

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

interface RecordRow {
  status: string;
  payload: string;
}

/** One table of records that vanish `ttlMs` after they were last written. */
function recordTable(db: Db, table: string, ttlMs: number) {
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
    key TEXT PRIMARY KEY, status TEXT NOT NULL, payload TEXT NOT NULL, expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS ${table}_expiry ON ${table} (expires_at);`);
  const select = db.prepare<[string, number], RecordRow>(
    `SELECT status, payload FROM ${table} WHERE key = ? AND expires_at > ?`,
  );
  // REPLACE: an expired row may still be there, waiting for the purge.
  const upsert = db.prepare<[string, string, string, number]>(
    `INSERT OR REPLACE INTO ${table} (key, status, payload, expires_at) VALUES (?, ?, ?, ?)`,
  );
  const purge = expiryPurge(db, table, 'key');
  return {
    find(key: string, now: number): RecordRow | undefined {
      return select.get(key, now);
    },
    put(key: string, status: string, payload: string, now: number): void {
      upsert.run(key, status, payload, now + ttlMs);
      purge(now);
    },
  };
}

/** What a participant's act decided: applied (with what to give back later) or refused. */
export type Attempt = { applied: true; taken: string } | { applied: false; reason: Reason };

/**
 * The per-saga records of a participant (stock reserve/release, payment charge/refund), and
 * the per-order index that keeps at most one uncompensated effect per order id: an act for a
 * new saga of an order first gives back the effect an earlier saga of it still holds (that
 * saga lost its order-side record; docs/store-semantics.md, "one effect per order").
 */
export interface SagaRecords {
  /**
   * Call inside the store's transaction. Answers the recorded outcome if the saga was seen;
   * else gives back an earlier saga's effect on the same order, runs `attempt` (which must
   * apply everything or nothing) and records its result.
   */
  act(sagaId: string, orderId: string, attempt: () => Attempt): Outcome;
  /**
   * Call inside the store's transaction. Gives back, once, what the act took (the `taken`
   * it recorded, so exactly that and nothing else); without a record, leaves a tombstone.
   */
  compensate(sagaId: string): void;
  /** The recorded status ('applied', a reason, 'released', 'tombstone'), for operators. */
  status(sagaId: string): string | undefined;
}

const APPLIED = 'applied';
const RELEASED = 'released';
const TOMBSTONE = 'tombstone';

/** `giveBack(taken)` undoes what an applied attempt recorded as `taken`. */
export function sagaRecords(db: Db, ttlMs: number, giveBack: (taken: string) => void): SagaRecords {
  const records = recordTable(db, 'saga_records', ttlMs);
  // key: order id, status: the saga holding its effect.
  const effects = recordTable(db, 'order_effects', ttlMs);
  const clearEffect = db.prepare<[string, string]>('DELETE FROM order_effects WHERE key = ? AND status = ?');

  /** Gives back an applied saga's effect and marks it released; the payload is `order taken`. */
  function undo(sagaId: string, payload: string, now: number): void {
    const space = payload.indexOf(' ');
    giveBack(payload.slice(space + 1));
    records.put(sagaId, RELEASED, '', now);
    clearEffect.run(payload.slice(0, space), sagaId);
  }

  return {
    act(sagaId, orderId, attempt) {
      const now = Date.now();
      const seen = records.find(sagaId, now);
      if (seen !== undefined) {
        if (seen.status === APPLIED) return OK;
        if (seen.status === RELEASED || seen.status === TOMBSTONE) return refused('compensated');
        return outcomeOf(seen.status);
      }
      const holder = effects.find(orderId, now)?.status;
      if (holder !== undefined && holder !== sagaId) {
        const held = records.find(holder, now);
        if (held?.status === APPLIED) undo(holder, held.payload, now);
        clearEffect.run(orderId, holder);
      }
      const result = attempt();
      if (result.applied) {
        records.put(sagaId, APPLIED, `${orderId} ${result.taken}`, now);
        effects.put(orderId, sagaId, '', now);
        return OK;
      }
      records.put(sagaId, result.reason, '', now);
      return refused(result.reason);
    },
    compensate(sagaId) {
      const now = Date.now();
      const seen = records.find(sagaId, now);
      if (seen === undefined) {
        records.put(sagaId, TOMBSTONE, '', now);
        return;
      }
      if (seen.status === RELEASED || seen.status === TOMBSTONE) return;
      if (seen.status === APPLIED) undo(sagaId, seen.payload, now);
      else records.put(sagaId, RELEASED, '', now);
    },
    status: (sagaId) => records.find(sagaId, Date.now())?.status,
  };
}

/**
 * Client operation ids (Idempotency-Key): the first outcome, replayed on a repeat of the same
 * request; the key is bound to the request's fingerprint (method + path), and another request
 * with it answers `idempotency_key_reused`, changing nothing.
 */
export interface OpRecords {
  /** Call inside the store's transaction. Without an op id, just runs `step`. */
  once(opId: string | undefined, step: () => Outcome, fingerprint?: string): Outcome;
  /**
   * Call inside the store's transaction. Makes the entity `id` with `make`, once per op id:
   * a repeat of the same request answers the id the first one made, and makes nothing.
   * Without an op id, just makes `id`.
   */
  create(opId: string | undefined, id: string, make: (id: string) => void, fingerprint?: string): Created;
  /**
   * Call inside the store's transaction. For a write whose answer is not an Outcome (a
   * checkout): the answer `bind` recorded for this key under the same `kind` and fingerprint,
   * 'reused' if another request (or kind of write) recorded the key, undefined if unseen.
   */
  recall(opId: string, kind: string, fingerprint: string): { answer: string } | 'reused' | undefined;
  /** Call inside the store's transaction: records `answer` for the key, kind and fingerprint. */
  bind(opId: string, kind: string, fingerprint: string, answer: string): void;
}

export function opRecords(db: Db, ttlMs: number): OpRecords {
  const records = recordTable(db, 'op_records', ttlMs);
  return {
    once(opId, step, fingerprint = '') {
      if (opId === undefined) return step();
      const now = Date.now();
      const seen = records.find(opId, now);
      if (seen !== undefined) {
        return seen.payload === fingerprint ? outcomeOf(seen.status) : refused('idempotency_key_reused');
      }
      const outcome = step();
      records.put(opId, outcome.ok ? 'ok' : outcome.reason, fingerprint, now);
      return outcome;
    },
    create(opId, id, make, fingerprint = '') {
      if (opId === undefined) {
        make(id);
        return { ok: true, id };
      }
      const now = Date.now();
      // A create's record is 'created' with '<fingerprint> <id>' (ids hold no spaces): it
      // never matches a bare fingerprint, so a key reused across kinds of write is refused.
      const seen = records.find(opId, now);
      if (seen !== undefined) {
        const space = seen.payload.lastIndexOf(' ');
        return seen.status === 'created' && space >= 0 && seen.payload.slice(0, space) === fingerprint
          ? { ok: true, id: seen.payload.slice(space + 1) }
          : { ok: false, reason: 'idempotency_key_reused' };
      }
      make(id);
      records.put(opId, 'created', `${fingerprint} ${id}`, now);
      return { ok: true, id };
    },
    // The payload '<fingerprint> <answer>' never equals a bare fingerprint (once) and the
    // status is never 'created' (create): a key bound here is refused by the other writes.
    recall(opId, kind, fingerprint) {
      const seen = records.find(opId, Date.now());
      if (seen === undefined) return undefined;
      const prefix = `${fingerprint} `;
      return seen.status === kind && seen.payload.startsWith(prefix)
        ? { answer: seen.payload.slice(prefix.length) }
        : 'reused';
    },
    bind(opId, kind, fingerprint, answer) {
      records.put(opId, kind, `${fingerprint} ${answer}`, Date.now());
    },
  };
}
