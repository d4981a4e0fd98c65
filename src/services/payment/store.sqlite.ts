/**
 * The payment store of the embedded mode: one SQLite file; each operation is one atomic step,
 * committed with the others of the same event-loop turn (group commit, src/lib/sqlite.ts).
 * Rules: docs/store-semantics.md as checked by test/conformance/payment*.ts.
 */
import type { SqliteStoreOptions } from '../../lib/sqlite.js';
import { sagaRecords, type Attempt } from '../../lib/sqlite-records.js';
import { openBalanceDb } from '../../lib/sqlite-balance.js';
import type { PaymentStore } from './store.js';

/** `file` is a path, or ':memory:' for a private throwaway database. */
export function openSqlitePaymentStore(file: string, options: SqliteStoreOptions): PaymentStore {
  const { db, group, ops, balances, add, take } = openBalanceDb(
    file,
    options,
    { table: 'users', key: 'user_id', value: 'credit' },
    { missing: 'user_not_found', short: 'insufficient_credit' },
  );

  const selectCredit = db.prepare<[string], number>('SELECT credit FROM users WHERE user_id = ?').pluck();
  const insertUser = db.prepare<[string]>(
    'INSERT INTO users (user_id, credit) VALUES (?, 0) ON CONFLICT DO NOTHING',
  );
  const replaceUser = db.prepare<[string, number]>(
    'INSERT OR REPLACE INTO users (user_id, credit) VALUES (?, ?)',
  );
  const setCredit = db.prepare<[number, string]>('UPDATE users SET credit = ? WHERE user_id = ?');

  function charge(userId: string, amount: number): Attempt {
    const outcome = balances.take(userId, amount);
    // The user rides along so the refund finds the account the charge really took from.
    return outcome.ok
      ? { applied: true, taken: `${userId}:${amount}` }
      : { applied: false, reason: outcome.reason };
  }

  /**
   * Gives back what the charge recorded. Credit may pass MAX_AMOUNT here if funds were added
   * meanwhile: a compensation must not fail, and SQLite's 64-bit integers hold it.
   */
  function giveBack(taken: string): void {
    const colon = taken.lastIndexOf(':');
    const userId = taken.slice(0, colon);
    const credit = selectCredit.get(userId);
    if (credit !== undefined) setCredit.run(credit + Number(taken.slice(colon + 1)), userId);
  }

  const sagas = sagaRecords(db, options.recordTtlMs, giveBack);
  const chargeTx = db.transaction((sagaId: string, orderId: string, userId: string, amount: number) =>
    sagas.act(sagaId, orderId, () => charge(userId, amount)),
  );
  const refundTx = db.transaction((sagaId: string) => sagas.compensate(sagaId));
  const createUserTx = db.transaction((userId: string, opId?: string, fingerprint?: string) =>
    ops.create(opId, userId, (id) => void insertUser.run(id), fingerprint),
  );
  const batchInitTx = db.transaction((n: number, startingMoney: number) => {
    for (let i = 0; i < n; i++) replaceUser.run(String(i), startingMoney);
  });

  return {
    createUser: (userId, opId, fingerprint) => group.run(() => createUserTx(userId, opId, fingerprint)),
    findCredit: (userId) => group.run(() => selectCredit.get(userId)),
    addFunds: add,
    pay: take,
    batchInit: (n, startingMoney) => group.run(() => batchInitTx(n, startingMoney)),
    charge: (sagaId, orderId, userId, amount) => group.run(() => chargeTx(sagaId, orderId, userId, amount)),
    refund: (sagaId) => group.run(() => refundTx(sagaId)),
    sagaRecord: (sagaId) => group.run(() => sagas.status(sagaId)),
    close: () => group.close(),
  };
}
