/**
 * The embedded stores' expiring records (docs/architecture.md, Storage): what makes a
 * participant's saga step and a client's keyed write idempotent, as redis-records.ts does for
 * the Redis stores. Each record vanishes `ttlMs` after it was last written; readers treat an
 * expired row as absent, and `expiryPurge` (sqlite.ts) bounds the table.
 */
import { OK, outcomeOf, refused, type Created, type Outcome, type Reason } from './outcome.js';
import { expiryPurge, type Db } from './sqlite.js';

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
