/**
 * The whole system in one process, as the admin and console tests drive it: in-memory SQLite
 * stores, the in-process bus dropping the commands `drop` picks (e.g. every reserve, so a saga
 * waits for stock until its deadline), and `buildAllServices` with the given environment.
 */
import type { Commands, Participant } from '../../src/bus/bus.js';
import { createLocalBus } from '../../src/bus/local.js';
import { buildAllServices, type AllServices, type Stores } from '../../src/all-services.js';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { ownerLine } from '../../src/services/order/journal.js';
import { openSqliteOrderStore } from '../../src/services/order/store.sqlite.js';
import { openSqlitePaymentStore } from '../../src/services/payment/store.sqlite.js';
import { openSqliteStockStore } from '../../src/services/stock/store.sqlite.js';

/** Which commands the bus drops. */
export type Drop = (to: Participant, command: Commands[Participant]) => boolean;

export interface InProcess extends AllServices {
  stores: Stores;
  /**
   * Begins a checkout of `orderId` as if replica `owner` had, holding its lease until
   * `leaseUntil` (in the past: a dead owner the sweeper takes over; far ahead: a hung one).
   */
  beginAs: (orderId: string, sagaId: string, owner: string, leaseUntil: number) => Promise<void>;
}

export async function startInProcess(
  env: Record<string, string>,
  drop: Drop = () => false,
): Promise<InProcess> {
  const options = { recordTtlMs: 3_600_000 };
  const stores: Stores = {
    order: openSqliteOrderStore(':memory:', options),
    stock: openSqliteStockStore(':memory:', options),
    payment: openSqlitePaymentStore(':memory:', options),
  };
  const faults = {
    command: (to: Participant, command: Commands[Participant]) => (drop(to, command) ? [] : [0]),
    reply: () => [0],
  };
  const bus = createLocalBus({ commandTtlMs: 30_000, faults });
  const services = await buildAllServices(stores, bus, loadConfig(env), silentLog());
  const beginAs = async (orderId: string, sagaId: string, owner: string, leaseUntil: number) => {
    const now = Date.now();
    await stores.order.beginCheckout(orderId, {
      sagaId,
      owner,
      leaseUntil,
      deadline: now + 60_000,
      startedAt: now,
      journal: ownerLine(owner, now),
    });
  };
  return { ...services, stores, beginAs };
}
