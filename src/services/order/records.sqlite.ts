/**
 * Reading saga records from the SQLite order store: the row as a Saga, and the operator's
 * reads (an order's sagas, sagas by state and age). Reads only: they take no part in a
 * checkout and add nothing to its writes.
 *
 * Listing walks the sagas by id (time-ordered ids, saga-id.ts), the cursor the last id seen.
 * Unfinished sagas come from the partial lease index; finished ones from the table itself, at
 * most SCAN_BUDGET rows per page, so one page never holds the event loop (and with it every
 * checkout of the embedded mode) for long.
 */
import { decodeItems } from '../../lib/items.js';
import { isReason } from '../../lib/outcome.js';
import type { Db } from '../../lib/sqlite.js';
import type { Saga, SagaPage, SagaQuery, SagaRecord, SagaState } from './store.js';

export interface SagaRow {
  saga_id: string;
  order_id: string;
  user_id: string;
  items: string;
  amount: number;
  state: SagaState;
  epoch: number;
  owner: string;
  lease_until: number;
  deadline: number;
  reason: string | null;
  started_at: number | null;
  journal: string;
  order_key: string | null;
}

/** Rows one listing call examines at most. */
const SCAN_BUDGET = 2000;
/** Saga ids an order keeps, newest last; older links are dropped. */
const MAX_LINKS = 16;

export function toSaga(row: SagaRow): Saga {
  return {
    sagaId: row.saga_id,
    orderId: row.order_id,
    userId: row.user_id,
    items: decodeItems(row.items),
    amount: row.amount,
    state: row.state,
    epoch: row.epoch,
    owner: row.owner,
    leaseUntil: row.lease_until,
    deadline: row.deadline,
    reason: isReason(row.reason) ? row.reason : undefined,
    orderKey: row.order_key ?? row.order_id,
  };
}

function toRecord(row: SagaRow): SagaRecord {
  return { ...toSaga(row), startedAt: row.started_at ?? undefined, journal: row.journal };
}

/** The order's saga links with `sagaId` appended, bounded to the last MAX_LINKS. */
export function linkSaga(links: string, sagaId: string): string {
  const ids = links === '' ? [] : links.split(' ');
  ids.push(sagaId);
  return ids.slice(-MAX_LINKS).join(' ');
}

/** Adds the columns a table lacks (a file written by an older version). */
export function addColumns(db: Db, table: string, columns: Readonly<Record<string, string>>): void {
  const present = new Set(
    db
      .prepare<[], { name: string }>(`PRAGMA table_info(${table})`)
      .all()
      .map((c) => c.name),
  );
  for (const [name, type] of Object.entries(columns)) {
    if (!present.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }
}

export interface SqliteSagaRecords {
  ofOrder(orderId: string): SagaRecord[] | undefined;
  list(query: SagaQuery): SagaPage | undefined;
}

export function sqliteSagaRecords(db: Db): SqliteSagaRecords {
  const live = '(expires_at IS NULL OR expires_at > @now)';
  const selectLinks = db.prepare<[string], string>('SELECT sagas FROM orders WHERE order_id = ?').pluck();
  const selectSaga = db.prepare<{ id: string; now: number }, SagaRow>(
    `SELECT * FROM sagas WHERE saga_id = @id AND ${live}`,
  );
  // `state IN (...)` repeats the lease index's condition, so SQLite may use that index.
  const selectUnfinished = db.prepare<{ state: string; after: string; limit: number }, SagaRow>(
    `SELECT * FROM sagas WHERE state IN ('RUNNING', 'ABORTING') AND state = @state
     AND saga_id > @after ORDER BY saga_id LIMIT @limit`,
  );
  const selectFrom = db.prepare<{ after: string; now: number; limit: number }, SagaRow>(
    `SELECT * FROM sagas WHERE saga_id > @after AND ${live} ORDER BY saga_id LIMIT @limit`,
  );

  const matches = (query: SagaQuery) => (row: SagaRow) =>
    (query.state === undefined || row.state === query.state) &&
    (query.startedBefore === undefined || (row.started_at ?? 0) < query.startedBefore);

  return {
    ofOrder(orderId) {
      const links = selectLinks.get(orderId);
      if (links === undefined) return undefined;
      const now = Date.now();
      const records: SagaRecord[] = [];
      for (const id of links.split(' ').reverse()) {
        const row = id === '' ? undefined : selectSaga.get({ id, now });
        if (row && row.order_id === orderId) records.push(toRecord(row));
      }
      return records;
    },

    list(query) {
      const after = query.cursor ?? '';
      if (query.cursor !== undefined && !query.cursor.startsWith('i:')) return undefined;
      const from = after.slice(2);
      const page = (sagas: SagaRow[], last: string | undefined): SagaPage => ({
        sagas: sagas.map(toRecord),
        cursor: last === undefined ? undefined : `i:${last}`,
      });
      if (query.state === 'RUNNING' || query.state === 'ABORTING') {
        const found: SagaRow[] = [];
        let cursor = from;
        // Rows of the right state, filtered by age here: a bounded loop over the (small) set.
        for (;;) {
          const rows = selectUnfinished.all({ state: query.state, after: cursor, limit: SCAN_BUDGET });
          for (const row of rows.filter(matches(query))) {
            found.push(row);
            if (found.length === query.limit) return page(found, row.saga_id);
          }
          if (rows.length < SCAN_BUDGET) return page(found, undefined);
          cursor = rows[rows.length - 1]?.saga_id ?? cursor;
        }
      }
      const rows = selectFrom.all({ after: from, now: Date.now(), limit: SCAN_BUDGET });
      const found: SagaRow[] = [];
      for (const row of rows.filter(matches(query))) {
        found.push(row);
        if (found.length === query.limit) return page(found, row.saga_id);
      }
      return page(found, rows.length < SCAN_BUDGET ? undefined : rows[rows.length - 1]?.saga_id);
    },
  };
}
