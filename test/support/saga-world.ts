/**
 * The small world the saga's unit tests check out in: SQLite stores in memory with item `i`
 * (price 4, stock 10), user `u` (credit 100) and orders of `u` holding 2 × `i` (cost 8), and
 * an in-process bus serving stock and payment (with the given delivery faults).
 */
import { createLocalBus, type DeliveryFaults, type LocalBus } from '../../src/bus/local.js';
import { paymentCommands } from '../../src/services/payment/commands.js';
import { openSqlitePaymentStore } from '../../src/services/payment/store.sqlite.js';
import type { OrderStore } from '../../src/services/order/store.js';
import { openSqliteOrderStore } from '../../src/services/order/store.sqlite.js';
import type { PaymentStore } from '../../src/services/payment/store.js';
import { stockCommands } from '../../src/services/stock/commands.js';
import type { StockStore } from '../../src/services/stock/store.js';
import { openSqliteStockStore } from '../../src/services/stock/store.sqlite.js';

export interface SagaWorld {
  stock: StockStore;
  payment: PaymentStore;
  orders: OrderStore;
  bus: LocalBus;
}

export async function sagaWorld(orderIds: readonly string[], faults?: DeliveryFaults): Promise<SagaWorld> {
  const options = { recordTtlMs: 60_000 };
  const stock = openSqliteStockStore(':memory:', options);
  const payment = openSqlitePaymentStore(':memory:', options);
  const orders = openSqliteOrderStore(':memory:', options);
  await stock.createItem('i', 4);
  await stock.add('i', 10);
  await payment.createUser('u');
  await payment.addFunds('u', 100);
  for (const orderId of orderIds) {
    await orders.createOrder(orderId, 'u');
    await orders.addItem(orderId, 'i', 2, 4);
  }
  const bus = createLocalBus({ commandTtlMs: 5000, ...(faults ? { faults } : {}) });
  await bus.serve('stock', stockCommands(stock));
  await bus.serve('payment', paymentCommands(payment));
  return { stock, payment, orders, bus };
}
