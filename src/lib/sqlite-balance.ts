/**
 * The SQLite side of a participant that keeps balances (stock of an item, credit of a user):
 * its database and table, and the balance writes, alone or applied once per Idempotency-Key.
 * What the stock and payment stores share; each adds its own saga step (reserve, charge).
 */
import { MAX_AMOUNT, OK, refused, type Outcome, type Reason } from './outcome.js';
import { groupCommit, openDatabase, type Db, type GroupCommit, type SqliteStoreOptions } from './sqlite.js';
import { opRecords, type OpRecords } from './sqlite-records.js';

/** `a + b` if it stays within MAX_AMOUNT; both are safe non-negative integers, so this is exact. */
export function addWithin(a: number, b: number): number | undefined {
  return b > MAX_AMOUNT - a ? undefined : a + b;
}

/**
 * A non-negative balance column (stock of an item, credit of a user): add up to MAX_AMOUNT,
 * take down to zero, each refusing with the owner's reasons and changing nothing then.
 * Call inside the store's transaction.
 */
export interface Balance {
  add: (id: string, amount: number) => Outcome;
  take: (id: string, amount: number) => Outcome;
}

export function balance(
  db: Db,
  column: { table: string; key: string; value: string },
  reasons: { missing: Reason; short: Reason },
): Balance {
  const { table, key, value } = column;
  const select = db.prepare<[string], number>(`SELECT ${value} FROM ${table} WHERE ${key} = ?`).pluck();
  const update = db.prepare<[number, string]>(`UPDATE ${table} SET ${value} = ? WHERE ${key} = ?`);
  return {
    add: (id, amount) => {
      const current = select.get(id);
      if (current === undefined) return refused(reasons.missing);
      const next = addWithin(current, amount);
      if (next === undefined) return refused('overflow');
      update.run(next, id);
      return OK;
    },
    take: (id, amount) => {
      const current = select.get(id);
      if (current === undefined) return refused(reasons.missing);
      if (current < amount) return refused(reasons.short);
      update.run(current - amount, id);
      return OK;
    },
  };
}

/** A balance table: `key` names a row, `value` is its balance; `extra` declares more columns. */
export interface BalanceTable {
  table: string;
  key: string;
  value: string;
  extra?: string;
}

/** A balance write applied once per op id (Idempotency-Key), as its own transaction. */
export type KeyedWrite = (
  id: string,
  amount: number,
  opId?: string,
  fingerprint?: string,
) => Promise<Outcome>;

export interface BalanceDb {
  db: Db;
  group: GroupCommit;
  ops: OpRecords;
  /** For use inside the store's own transactions (a saga step's attempt). */
  balances: Balance;
  add: KeyedWrite;
  take: KeyedWrite;
}

/** Opens `file` (or ':memory:') with the table created if missing. */
export function openBalanceDb(
  file: string,
  options: SqliteStoreOptions,
  columns: BalanceTable,
  reasons: { missing: Reason; short: Reason },
): BalanceDb {
  const { table, key, value, extra } = columns;
  const db = openDatabase(file);
  const group = groupCommit(db);
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
    ${key} TEXT PRIMARY KEY, ${value} INTEGER NOT NULL${extra === undefined ? '' : `, ${extra}`}
  ) WITHOUT ROWID`);
  const ops = opRecords(db, options.recordTtlMs);
  const balances = balance(db, columns, reasons);
  const keyed = (change: (id: string, amount: number) => Outcome): KeyedWrite => {
    const tx = db.transaction((id: string, amount: number, opId?: string, fingerprint?: string) =>
      ops.once(opId, () => change(id, amount), fingerprint),
    );
    return (id, amount, opId, fingerprint) => group.run(() => tx(id, amount, opId, fingerprint));
  };
  return { db, group, ops, balances, add: keyed(balances.add), take: keyed(balances.take) };
}
