/**
 * The load generator's two workloads. Each first builds its initial state (recorded in the
 * ledger, before any fault), then sends load until its fixed amount of work is done, keeping
 * every request and answer in the ledger, and tells how far it got so a fault can be injected
 * mid-run.
 *
 * - consistency: the public benchmark's scenario in rounds: each round, `buyers` users with
 *   credit 1 race with concurrent checkouts for the `buyers / 10` units of one item.
 * - mixed: batch_init of 100k items, users and orders, then ≥ 10,000 checkouts of fresh orders
 *   (some after an addItem, some repeated) among add_funds, pay, stock add/subtract and reads.
 */
import { randomUUID } from 'node:crypto';
import type { ItemLine } from './ledger.js';
import { inParallel, seeded } from './pool.js';
import type { Recorder, Sent } from './recorder.js';
import { readOrder } from './snapshot.js';
import { createClient } from './client.js';

export interface Workload {
  name: string;
  prepare(rec: Recorder): Promise<void>;
  run(rec: Recorder): Promise<void>;
  /** 0 at the start of `run`, 1 when all its work was sent. */
  progress(): number;
  /** Checkouts sent in `run` (fresh and repeated). */
  checkouts(): number;
}

function expectOk(sent: Sent, what: string): unknown {
  if (sent.status !== 200) {
    throw new Error(`setup failed: ${what} answered ${sent.status} ${JSON.stringify(sent.body)}`);
  }
  return sent.body;
}

function idOf(body: unknown, field: string): string {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string') throw new Error(`setup: no ${field} in ${JSON.stringify(body)}`);
  return value;
}

async function setup(rec: Recorder, method: string, path: string): Promise<unknown> {
  return expectOk(await rec.send({ op: 'setup', method, path }, { retries: 3 }), `${method} ${path}`);
}

export interface ConsistencyOptions {
  rounds: number;
  buyers: number;
}

export function consistencyWorkload({ rounds, buyers }: ConsistencyOptions): Workload {
  const units = Math.max(1, Math.floor(buyers / 10));
  const orders: string[][] = [];
  let sent = 0;
  let answered = 0;
  return {
    name: 'consistency',
    async prepare(rec) {
      await setup(rec, 'POST', `/payment/batch_init/${rounds * buyers}/1`);
      rec.ledger.batches.users = { n: rounds * buyers, credit: 1 };
      for (let r = 0; r < rounds; r++) {
        const item = idOf(await setup(rec, 'POST', '/stock/item/create/1'), 'item_id');
        rec.ledger.items[item] = { stock: 0, price: 1 };
        const key = randomUUID();
        expectOk(await rec.send({ op: 'stock_add', item, amount: units, key }), 'stock add');
        orders.push(
          await inParallel(buyers, 32, async (i) => {
            const user = String(r * buyers + i);
            const order = idOf(await setup(rec, 'POST', `/orders/create/${user}`), 'order_id');
            rec.ledger.orders[order] = { user, items: [], total: 0, paid: false };
            expectOk(await rec.send({ op: 'add_item', order, item, qty: 1 }), 'addItem');
            return order;
          }),
        );
      }
    },
    async run(rec) {
      for (const round of orders) {
        await Promise.all(
          round.map(async (order) => {
            sent++;
            await rec.send({ op: 'checkout', order });
            answered++;
          }),
        );
      }
    },
    // By answers, not by sends: a round is sent all at once, and a fault injected mid-run
    // must find checkouts in flight, not merely queued in the client.
    progress: () => answered / (rounds * buyers),
    checkouts: () => sent,
  };
}

export interface MixedOptions {
  /** Items, users and orders created by batch_init (100k in the full suite). */
  entities: number;
  /** Fresh orders checked out (≥ 10,000 in the full suite). */
  orders: number;
  /** Requests in flight (closed loop). */
  workers: number;
  seed?: number;
}

const PRICE = 10;
const STARTING_STOCK = 2;
const STARTING_CREDIT = 50;

export function mixedWorkload({ entities, orders, workers, seed = 1 }: MixedOptions): Workload {
  if (orders > entities) throw new Error(`mixed: ${orders} orders to check out, only ${entities} created`);
  const random = seeded(seed);
  const pick = (): string => String(Math.floor(random() * entities));
  const upTo = (n: number): number => 1 + Math.floor(random() * n);
  let next = 0;
  let checkouts = 0;
  return {
    name: 'mixed',
    async prepare(rec) {
      await setup(rec, 'POST', `/stock/batch_init/${entities}/${STARTING_STOCK}/${PRICE}`);
      rec.ledger.batches.items = { n: entities, stock: STARTING_STOCK, price: PRICE };
      await setup(rec, 'POST', `/payment/batch_init/${entities}/${STARTING_CREDIT}`);
      rec.ledger.batches.users = { n: entities, credit: STARTING_CREDIT };
      await setup(rec, 'POST', `/orders/batch_init/${entities}/${entities}/${entities}/${PRICE}`);
      rec.ledger.batches.orders = { n: entities };
    },
    async run(rec) {
      // Reads of an order before it is touched give its starting lines: not load, not recorded.
      const observer = createClient(rec.ledger.target, workers, 30_000);
      const checkoutFresh = async (): Promise<void> => {
        const order = String(next++);
        const start = await readOrder(observer, order).catch(() => undefined);
        if (start === undefined) return; // Never touched: the checker requires it unpaid.
        rec.ledger.orders[order] = { ...start, items: start.items.map((l): ItemLine => [l[0], l[1]]) };
        if (random() < 0.2) {
          // Half keyed (safe to re-send, by the gateway and by us), half not (a lost answer stays unknown).
          const key = random() < 0.5 ? { key: randomUUID() } : {};
          await rec.send({ op: 'add_item', order, item: pick(), qty: upTo(2), ...key });
        }
        checkouts++;
        await rec.send({ op: 'checkout', order });
        if (random() < 0.15) {
          checkouts++;
          await rec.send({ op: 'checkout', order });
        }
      };
      const step = async (): Promise<void> => {
        const roll = random();
        const key = randomUUID();
        if (roll < 0.7) return checkoutFresh();
        if (roll < 0.78) await rec.send({ op: 'add_funds', user: pick(), amount: upTo(30), key });
        else if (roll < 0.84) await rec.send({ op: 'pay', user: pick(), amount: upTo(20), key });
        else if (roll < 0.92) await rec.send({ op: 'stock_add', item: pick(), amount: upTo(3), key });
        else if (roll < 0.96) await rec.send({ op: 'stock_subtract', item: pick(), amount: 1, key });
        else {
          const paths = [`/stock/find/${pick()}`, `/payment/find_user/${pick()}`, `/orders/find/${pick()}`];
          await rec.send({ op: 'read', method: 'GET', path: paths[Math.floor(random() * 3)] ?? '/health' });
        }
      };
      try {
        await Promise.all(
          Array.from({ length: workers }, async () => {
            while (next < orders) await step();
          }),
        );
      } finally {
        observer.close();
      }
    },
    progress: () => Math.min(1, next / orders),
    checkouts: () => checkouts,
  };
}
