/**
 * Writes as the course's clients send them: no Idempotency-Key on any of them. Every write
 * endpoint but batch_init runs in the load (batch_init rewrites the prepared ids, so it runs in
 * `prepare` only): user, item and order creation, add_funds, pay, stock add/subtract, addItem
 * and checkout. The gateway gives each its own key and re-sends it when the replica it reached
 * dies, so with replicas SIGKILLed mid-load no client may see a 5xx and the ledger must balance
 * exactly: every 200 applied once, nothing else applied.
 */
import type { Fault } from './faults.js';
import type { Cluster } from './cluster.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { seeded } from './pool.js';
import type { Recorder } from './recorder.js';
import type { Workload } from './workloads.js';

const PRICE = 1;
const STOCK = 1000;
const CREDIT = 100;

function idIn(body: unknown, field: string): string | undefined {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function unkeyedWorkload({
  requests,
  workers,
  entities = 200,
  seed = 7,
}: {
  requests: number;
  workers: number;
  entities?: number;
  seed?: number;
}): Workload {
  const random = seeded(seed);
  const pick = (): string => String(Math.floor(random() * entities));
  const upTo = (n: number): number => 1 + Math.floor(random() * n);
  let sent = 0;
  let checkouts = 0;
  const setup = async (rec: Recorder, path: string): Promise<unknown> => {
    const answer = await rec.send({ op: 'setup', method: 'POST', path });
    if (answer.status !== 200) throw new Error(`setup ${path} answered ${answer.status}`);
    return answer.body;
  };
  return {
    name: 'unkeyed writes',
    async prepare(rec) {
      await setup(rec, `/stock/batch_init/${entities}/${STOCK}/${PRICE}`);
      rec.ledger.batches.items = { n: entities, stock: STOCK, price: PRICE };
      await setup(rec, `/payment/batch_init/${entities}/${CREDIT}`);
      rec.ledger.batches.users = { n: entities, credit: CREDIT };
    },
    async run(rec) {
      const step = async (): Promise<void> => {
        sent++;
        const roll = random();
        if (roll < 0.1) {
          const answer = await rec.send({ op: 'setup', method: 'POST', path: '/payment/create_user' });
          const user = idIn(answer.body, 'user_id');
          if (answer.status === 200 && user !== undefined) rec.ledger.users[user] = 0;
        } else if (roll < 0.2) {
          const answer = await rec.send({ op: 'setup', method: 'POST', path: `/stock/item/create/${PRICE}` });
          const item = idIn(answer.body, 'item_id');
          if (answer.status === 200 && item !== undefined)
            rec.ledger.items[item] = { stock: 0, price: PRICE };
        } else if (roll < 0.3) await rec.send({ op: 'add_funds', user: pick(), amount: upTo(20) });
        else if (roll < 0.4) await rec.send({ op: 'pay', user: pick(), amount: upTo(5) });
        else if (roll < 0.5) await rec.send({ op: 'stock_add', item: pick(), amount: upTo(5) });
        else if (roll < 0.6) await rec.send({ op: 'stock_subtract', item: pick(), amount: 1 });
        else {
          // An order's life in one worker: created, filled without keys, checked out.
          const user = pick();
          const answer = await rec.send({ op: 'setup', method: 'POST', path: `/orders/create/${user}` });
          const order = idIn(answer.body, 'order_id');
          if (answer.status !== 200 || order === undefined) return;
          rec.ledger.orders[order] = { user, items: [], total: 0, paid: false };
          for (let line = upTo(2); line > 0; line--)
            await rec.send({ op: 'add_item', order, item: pick(), qty: upTo(3) });
          checkouts++;
          await rec.send({ op: 'checkout', order });
        }
      };
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (sent < requests) await step();
        }),
      );
    },
    progress: () => Math.min(1, sent / requests),
    checkouts: () => checkouts,
  };
}

/** SIGKILL of one replica of each service in turn (the supervisor brings each back). */
export function killEachReplicaFault(cluster: Cluster, gapMs = 1500): Fault {
  const victims = ['order-1', 'stock-1', 'payment-1'];
  return {
    name: `SIGKILL ${victims.join(', ')} in turn`,
    async inject() {
      for (const victim of victims) {
        await cluster.cli(['kill', victim]);
        await sleep(gapMs);
      }
    },
  };
}
