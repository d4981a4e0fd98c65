/**
 * The order store of the embedded mode: orders and saga records in one SQLite file; each
 * operation is one atomic step, committed with the others of the same event-loop turn (group
 * commit, src/lib/sqlite.ts). Rules: docs/store-semantics.md as checked by
 * test/conformance/order*.ts.
 *
 * An order is frozen while `orders.saga_id` names its running saga. The lease index is a
 * partial index over unfinished sagas, so finishing a saga leaves it without any extra write.
 * Finished sagas get `expires_at` and vanish `recordTtlMs` later; unfinished ones never do.
 */
import { DEFAULT_ORDER_LIMITS, type OrderLimits } from '../../lib/config.js';
import { decodeItems, encodeLine } from '../../lib/items.js';
import { MAX_AMOUNT, OK, refused, type Outcome, type Reason } from '../../lib/outcome.js';
import { expiryPurge, groupCommit, openDatabase, type SqliteStoreOptions } from '../../lib/sqlite.js';
import { opRecords } from '../../lib/sqlite-records.js';
import { addColumns, linkSaga, sqliteSagaRecords, toSaga, type SagaRow } from './records.sqlite.js';
import type {
  Begin,
  Cancel,
  NewOrder,
  NewSaga,
  Order,
  OrderStore,
  Saga,
  SagaState,
  StuckCounts,
} from './store.js';

interface OrderRow {
  order_id: string;
  user_id: string;
  paid: number;
  items: string;
  total_cost: number;
  saga_id: string | null;
  /** The order's last saga ids, space-separated, kept after they finish (for operators). */
  sagas: string;
  /** The order key of its sagas (Saga.orderKey); NULL until its first checkout. */
  incarnation: string | null;
}

const UNFINISHED = `state IN ('RUNNING', 'ABORTING')`;

const ALLOWED: Readonly<Record<SagaState, readonly SagaState[]>> = {
  RUNNING: ['COMMITTED', 'ABORTING'],
  ABORTING: ['ABORTED'],
  COMMITTED: [],
  ABORTED: [],
};

/** What a checkout's key is bound to: the saga it started or joined, or paid / not_found. */
function answerOf(begin: Begin): string {
  switch (begin.kind) {
    case 'started':
      return `saga ${begin.saga.sagaId}`;
    case 'running':
      return `saga ${begin.sagaId}`;
    default:
      return begin.kind;
  }
}

function toOrder(row: OrderRow): Order {
  const { order_id, user_id, paid, items, total_cost } = row;
  return {
    orderId: order_id,
    userId: user_id,
    paid: paid === 1,
    items: decodeItems(items),
    totalCost: total_cost,
  };
}

/**
 * `file` is a path, or ':memory:' for a private throwaway database. `limits` bound addItem
 * (default DEFAULT_ORDER_LIMITS).
 */
export function openSqliteOrderStore(
  file: string,
  options: SqliteStoreOptions & { limits?: OrderLimits },
): OrderStore {
  const limits = options.limits ?? DEFAULT_ORDER_LIMITS;
  const db = openDatabase(file);
  const group = groupCommit(db);
  db.exec(`CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, paid INTEGER NOT NULL,
    items TEXT NOT NULL, total_cost INTEGER NOT NULL, saga_id TEXT
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS sagas (
    saga_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, user_id TEXT NOT NULL, items TEXT NOT NULL,
    amount INTEGER NOT NULL, state TEXT NOT NULL, epoch INTEGER NOT NULL, owner TEXT NOT NULL,
    lease_until INTEGER NOT NULL, deadline INTEGER NOT NULL, reason TEXT, expires_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS sagas_lease ON sagas (lease_until) WHERE ${UNFINISHED};
  CREATE INDEX IF NOT EXISTS sagas_expiry ON sagas (expires_at) WHERE expires_at IS NOT NULL;`);
  // Added for operators; a file written before them gains them here.
  addColumns(db, 'orders', { sagas: "TEXT NOT NULL DEFAULT ''", incarnation: 'TEXT' });
  addColumns(db, 'sagas', { started_at: 'INTEGER', journal: "TEXT NOT NULL DEFAULT ''", order_key: 'TEXT' });

  const selectOrder = db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE order_id = ?');
  const insertOrder = db.prepare<[string, string]>(
    `INSERT INTO orders (order_id, user_id, paid, items, total_cost, saga_id)
     VALUES (?, ?, 0, '', 0, NULL) ON CONFLICT DO NOTHING`,
  );
  const replaceOrder = db.prepare<[string, string, string, number]>(
    `INSERT OR REPLACE INTO orders (order_id, user_id, paid, items, total_cost, saga_id)
     VALUES (?, ?, 0, ?, ?, NULL)`,
  );
  const appendLine = db.prepare<[string, number, string]>(
    'UPDATE orders SET items = items || ?, total_cost = ? WHERE order_id = ?',
  );
  const freeze = db.prepare<[string, string, string, string]>(
    'UPDATE orders SET saga_id = ?, sagas = ?, incarnation = ? WHERE order_id = ?',
  );
  const unfreeze = db.prepare<[number, string, string]>(
    'UPDATE orders SET paid = paid OR ?, saga_id = NULL WHERE order_id = ? AND saga_id = ?',
  );
  const selectSaga = db.prepare<[string, number], SagaRow>(
    'SELECT * FROM sagas WHERE saga_id = ? AND (expires_at IS NULL OR expires_at > ?)',
  );
  // REPLACE: a finished saga of the same id may linger until the purge removes it.
  const insertSaga = db.prepare<
    [string, string, string, string, number, string, number, number, number | null, string, string]
  >(`INSERT OR REPLACE INTO sagas (saga_id, order_id, user_id, items, amount, state, epoch, owner,
       lease_until, deadline, reason, expires_at, started_at, journal, order_key)
     VALUES (?, ?, ?, ?, ?, 'RUNNING', 1, ?, ?, ?, NULL, NULL, ?, ?, ?)`);
  const setState = db.prepare<[SagaState, string | null, number | null, string, string]>(
    `UPDATE sagas SET state = ?, reason = coalesce(?, reason), expires_at = ?, journal = journal || ?
     WHERE saga_id = ?`,
  );
  const renew = db.prepare<[number, string, number]>(
    `UPDATE sagas SET lease_until = ? WHERE saga_id = ? AND epoch = ? AND ${UNFINISHED}`,
  );
  const claim = db.prepare<[string, number, string, string, number], SagaRow>(
    `UPDATE sagas SET epoch = epoch + 1, owner = ?, lease_until = ?, journal = journal || ?
     WHERE saga_id = ? AND ${UNFINISHED} AND lease_until < ? RETURNING *`,
  );
  const abortByOperator = db.prepare<[string, number, string, string], SagaRow>(
    `UPDATE sagas SET epoch = epoch + 1, owner = ?, lease_until = ?, state = 'ABORTING',
       reason = 'operator', journal = journal || ? WHERE saga_id = ? AND state = 'RUNNING' RETURNING *`,
  );
  const selectExpired = db
    .prepare<[number, number], string>(
      `SELECT saga_id FROM sagas WHERE ${UNFINISHED} AND lease_until < ?
       ORDER BY lease_until, saga_id LIMIT ?`,
    )
    .pluck();
  const selectStuck = db.prepare<[number, number], { state: SagaState; n: number }>(
    `SELECT state, count(*) AS n FROM (SELECT state, deadline FROM sagas WHERE ${UNFINISHED} LIMIT ?)
     WHERE deadline < ? GROUP BY state`,
  );
  const purgeSagas = expiryPurge(db, 'sagas', 'saga_id');

  function addItem(orderId: string, itemId: string, quantity: number, price: number): Outcome {
    const order = selectOrder.get(orderId);
    if (order === undefined) return refused('order_not_found');
    if (order.paid === 1) return refused('order_paid');
    if (order.saga_id !== null) return refused('checkout_running');
    // Exact in BigInt: quantity × price may pass 2^53 where doubles round.
    const total = BigInt(order.total_cost) + BigInt(quantity) * BigInt(price);
    if (total > BigInt(MAX_AMOUNT)) return refused('overflow');
    const lines = decodeItems(order.items);
    const units = lines.reduce((sum, [, qty]) => sum + qty, quantity);
    if (lines.length + 1 > limits.maxLines || units > limits.maxQuantity) return refused('order_too_large');
    appendLine.run(encodeLine([itemId, quantity]), Number(total), orderId);
    return OK;
  }

  function beginCheckout(orderId: string, saga: NewSaga): Begin {
    const order = selectOrder.get(orderId);
    if (order === undefined) return { kind: 'not_found' };
    if (order.paid === 1) return { kind: 'paid' };
    if (order.saga_id !== null) {
      const current = order.saga_id === saga.sagaId ? selectSaga.get(saga.sagaId, Date.now()) : undefined;
      return current
        ? { kind: 'started', saga: toSaga(current) }
        : { kind: 'running', sagaId: order.saga_id };
    }
    const { sagaId, owner, leaseUntil, deadline } = saga;
    const { user_id, items, total_cost } = order;
    const startedAt = saga.startedAt ?? null;
    const orderKey = order.incarnation ?? sagaId;
    insertSaga.run(
      sagaId,
      orderId,
      user_id,
      items,
      total_cost,
      owner,
      leaseUntil,
      deadline,
      startedAt,
      saga.journal ?? '',
      orderKey,
    );
    freeze.run(sagaId, linkSaga(order.sagas, sagaId), orderKey, orderId);
    const started: Saga = {
      sagaId,
      orderId,
      userId: user_id,
      items: decodeItems(items),
      amount: total_cost,
      state: 'RUNNING',
      epoch: 1,
      owner,
      leaseUntil,
      deadline,
      reason: undefined,
      orderKey,
    };
    return { kind: 'started', saga: started };
  }

  function transition(
    saga: Saga,
    to: SagaState,
    reason: Reason | undefined,
    journal: string | undefined,
  ): boolean {
    const now = Date.now();
    const stored = selectSaga.get(saga.sagaId, now);
    if (stored === undefined || stored.epoch !== saga.epoch) return false;
    if (stored.state === to) return true; // a resend of a transition that already happened
    if (stored.state !== saga.state || !ALLOWED[saga.state].includes(to)) return false;
    if (to === 'ABORTING' && reason === undefined) throw new Error('a saga aborts with a reason');
    const finished = to === 'COMMITTED' || to === 'ABORTED';
    setState.run(to, reason ?? null, finished ? now + options.recordTtlMs : null, journal ?? '', saga.sagaId);
    if (finished) unfreeze.run(to === 'COMMITTED' ? 1 : 0, stored.order_id, saga.sagaId);
    purgeSagas(now);
    return true;
  }

  const ops = opRecords(db, options.recordTtlMs);
  const addItemTx = db.transaction(
    (
      orderId: string,
      itemId: string,
      quantity: number,
      price: number,
      opId: string | undefined,
      fingerprint: string | undefined,
    ) => ops.once(opId, () => addItem(orderId, itemId, quantity, price), fingerprint),
  );
  const createOrderTx = db.transaction(
    (orderId: string, userId: string, opId?: string, fingerprint?: string) =>
      ops.create(opId, orderId, (id) => void insertOrder.run(id, userId), fingerprint),
  );
  const putOrdersTx = db.transaction((orders: readonly NewOrder[]) => {
    for (const { orderId, userId, items, totalCost } of orders) {
      replaceOrder.run(orderId, userId, items.map(encodeLine).join(''), totalCost);
    }
  });
  /**
   * beginCheckout with the client's key bound to its first answer (store.ts): a replay answers
   * `running` with the first saga, whose record tells its outcome; 'saga ' + this very saga id
   * is a resend of this call and runs as without a key.
   */
  function beginKeyed(orderId: string, saga: NewSaga, opId?: string, fingerprint = ''): Begin {
    if (opId === undefined) return beginCheckout(orderId, saga);
    const recalled = ops.recall(opId, 'checkout', fingerprint);
    if (recalled === 'reused') return { kind: 'key_reused' };
    const answer = recalled?.answer;
    if (answer === 'paid' || answer === 'not_found') return { kind: answer };
    const first = answer?.slice('saga '.length);
    if (first !== undefined && first !== saga.sagaId) return { kind: 'running', sagaId: first };
    const begin = beginCheckout(orderId, saga);
    if (recalled === undefined) ops.bind(opId, 'checkout', fingerprint, answerOf(begin));
    return begin;
  }
  const beginTx = db.transaction(beginKeyed);
  const transitionTx = db.transaction(transition);
  const cancelTx = db.transaction(
    (sagaId: string, owner: string, leaseUntil: number, journal: string): Cancel => {
      const row = abortByOperator.get(owner, leaseUntil, journal, sagaId);
      if (row) return { kind: 'cancelled', saga: toSaga(row) };
      const stored = selectSaga.get(sagaId, Date.now());
      return stored ? { kind: 'not_running', state: stored.state } : { kind: 'not_found' };
    },
  );
  const records = sqliteSagaRecords(db);

  return {
    createOrder: (orderId, userId, opId, fingerprint) =>
      group.run(() => createOrderTx(orderId, userId, opId, fingerprint)),
    findOrder: (orderId) =>
      group.run(() => {
        const row = selectOrder.get(orderId);
        return row && toOrder(row);
      }),
    addItem: (orderId, itemId, quantity, price, opId, fingerprint) =>
      group.run(() => addItemTx(orderId, itemId, quantity, price, opId, fingerprint)),
    putOrders: (orders) => group.run(() => putOrdersTx(orders)),
    beginCheckout: (orderId, saga, opId, fingerprint) =>
      group.run(() => beginTx(orderId, saga, opId, fingerprint)),
    findSaga: (sagaId) =>
      group.run(() => {
        const row = selectSaga.get(sagaId, Date.now());
        return row && toSaga(row);
      }),
    transition: (saga, to, reason, journal) => group.run(() => transitionTx(saga, to, reason, journal)),
    renewLease: (sagaId, epoch, leaseUntil) =>
      group.run(() => renew.run(leaseUntil, sagaId, epoch).changes === 1),
    takeOver: (sagaId, owner, now, leaseUntil, journal) =>
      group.run(() => {
        const row = claim.get(owner, leaseUntil, journal ?? '', sagaId, now);
        return row && toSaga(row);
      }),
    cancelSaga: (sagaId, owner, leaseUntil, journal) =>
      group.run(() => cancelTx(sagaId, owner, leaseUntil, journal)),
    sagasOfOrder: (orderId) => group.run(() => records.ofOrder(orderId)),
    listSagas: (query) => group.run(() => records.list(query)),
    expiredSagas: (now, limit) => group.run(() => selectExpired.all(now, limit)),
    countStuck: (now, limit) =>
      group.run(() => {
        const counts: StuckCounts = { RUNNING: 0, ABORTING: 0 };
        for (const row of selectStuck.all(limit, now)) {
          if (row.state === 'RUNNING' || row.state === 'ABORTING') counts[row.state] = row.n;
        }
        return counts;
      }),
    close: () => group.close(),
  };
}
