/**
 * The stock store of the embedded mode: one SQLite file; each operation is one atomic step,
 * committed with the others of the same event-loop turn (group commit, src/lib/sqlite.ts).
 * Rules: docs/store-semantics.md as checked by test/conformance/stock*.ts.
 */
import { aggregate, decodeItems, encodeItems, type ItemLine } from '../../lib/items.js';
import type { SqliteStoreOptions } from '../../lib/sqlite.js';
import { sagaRecords, type Attempt } from '../../lib/sqlite-records.js';
import { openBalanceDb } from '../../lib/sqlite-balance.js';
import type { Item, StockStore } from './store.js';

/** `file` is a path, or ':memory:' for a private throwaway database. */
export function openSqliteStockStore(file: string, options: SqliteStoreOptions): StockStore {
  const { db, group, ops, add, take } = openBalanceDb(
    file,
    options,
    { table: 'items', key: 'item_id', value: 'stock', extra: 'price INTEGER NOT NULL' },
    { missing: 'item_not_found', short: 'insufficient_stock' },
  );

  const selectItem = db.prepare<[string], Item>('SELECT stock, price FROM items WHERE item_id = ?');
  const selectStock = db.prepare<[string], number>('SELECT stock FROM items WHERE item_id = ?').pluck();
  const insertItem = db.prepare<[string, number]>(
    'INSERT INTO items (item_id, stock, price) VALUES (?, 0, ?) ON CONFLICT DO NOTHING',
  );
  const replaceItem = db.prepare<[string, number, number]>(
    'INSERT OR REPLACE INTO items (item_id, stock, price) VALUES (?, ?, ?)',
  );
  const setStock = db.prepare<[number, string]>('UPDATE items SET stock = ? WHERE item_id = ?');

  function reserve(requested: readonly ItemLine[]): Attempt {
    // Lines should name distinct items; summing them anyway keeps a slip from minting stock.
    const lines = aggregate(requested);
    const stocks: number[] = [];
    for (const [itemId] of lines) {
      const stock = selectStock.get(itemId);
      if (stock === undefined) return { applied: false, reason: 'item_not_found' };
      stocks.push(stock);
    }
    if (lines.some(([, quantity], i) => (stocks[i] ?? 0) < quantity)) {
      return { applied: false, reason: 'insufficient_stock' };
    }
    lines.forEach(([itemId, quantity], i) => setStock.run((stocks[i] ?? 0) - quantity, itemId));
    return { applied: true, taken: encodeItems(lines) };
  }

  /**
   * Gives back what the reservation recorded. A balance may pass MAX_AMOUNT here if `add`
   * filled it meanwhile: a compensation must not fail, and SQLite's 64-bit integers hold it.
   */
  function giveBack(taken: string): void {
    for (const [itemId, quantity] of decodeItems(taken)) {
      const stock = selectStock.get(itemId);
      if (stock !== undefined) setStock.run(stock + quantity, itemId);
    }
  }

  const sagas = sagaRecords(db, options.recordTtlMs, giveBack);
  const reserveTx = db.transaction((sagaId: string, orderId: string, lines: readonly ItemLine[]) =>
    sagas.act(sagaId, orderId, () => reserve(lines)),
  );
  const releaseTx = db.transaction((sagaId: string) => sagas.compensate(sagaId));
  const createItemTx = db.transaction((itemId: string, price: number, opId?: string, fingerprint?: string) =>
    ops.create(opId, itemId, (id) => void insertItem.run(id, price), fingerprint),
  );
  const batchInitTx = db.transaction((n: number, startingStock: number, price: number) => {
    for (let i = 0; i < n; i++) replaceItem.run(String(i), startingStock, price);
  });

  return {
    createItem: (itemId, price, opId, fingerprint) =>
      group.run(() => createItemTx(itemId, price, opId, fingerprint)),
    findItem: (itemId) => group.run(() => selectItem.get(itemId)),
    add,
    subtract: take,
    batchInit: (n, startingStock, price) => group.run(() => batchInitTx(n, startingStock, price)),
    reserve: (sagaId, orderId, lines) => group.run(() => reserveTx(sagaId, orderId, lines)),
    release: (sagaId) => group.run(() => releaseTx(sagaId)),
    sagaRecord: (sagaId) => group.run(() => sagas.status(sagaId)),
    close: () => group.close(),
  };
}
