/**
 * Checks the invariants (docs/architecture.md) from outside, over the API, for a population
 * made by batch_init (users and items "0".."n-1" with the same starting credit / stock): every unit of credit
 * and stock that left is accounted for by exactly the paid orders, and every order that was
 * answered 200 is paid. Answers undefined when all holds, else the first violation.
 */
import type { Client } from '../../harness/client.js';
import { field } from '../../harness/client.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { inParallel } from '../../harness/pool.js';

export interface Population {
  orders: number;
  users: number;
  items: number;
  credit: number;
  stock: number;
}

interface OrderBody {
  paid: boolean;
  user_id: string;
  total_cost: number;
  items: [string, number][];
}

export async function conservationProblem(
  api: Client,
  population: Population,
  answered: ReadonlyMap<string, number>,
): Promise<string | undefined> {
  const orders = await inParallel(population.orders, 32, async (i) => {
    const response = await api.get(`/orders/find/${i}`);
    if (response.status !== 200) throw new Error(`find order ${i}: ${response.status}`);
    return response.body as OrderBody;
  });
  const spent = new Map<string, number>();
  const taken = new Map<string, number>();
  for (const [i, order] of orders.entries()) {
    if (answered.get(String(i)) === 200 && !order.paid) return `order ${i} answered 200 but is unpaid`;
    if (!order.paid) continue;
    spent.set(order.user_id, (spent.get(order.user_id) ?? 0) + order.total_cost);
    for (const [itemId, quantity] of order.items) taken.set(itemId, (taken.get(itemId) ?? 0) + quantity);
  }
  const credits = await inParallel(population.users, 32, async (u) =>
    field<number>(await api.get(`/payment/find_user/${u}`), 'credit'),
  );
  for (const [u, credit] of credits.entries()) {
    const expected = population.credit - (spent.get(String(u)) ?? 0);
    if (credit !== expected) return `user ${u} has credit ${credit}, expected ${expected}`;
  }
  const stocks = await inParallel(population.items, 32, async (i) =>
    field<number>(await api.get(`/stock/find/${i}`), 'stock'),
  );
  for (const [i, stock] of stocks.entries()) {
    const expected = population.stock - (taken.get(String(i)) ?? 0);
    if (stock !== expected) return `item ${i} has stock ${stock}, expected ${expected}`;
  }
  return undefined;
}

/**
 * `conservationProblem` once every saga had time to finish: asks again every 500 ms until the
 * books balance or `withinMs` passed, and answers the last problem (undefined when balanced).
 * For checks right after a crash, while recovery is still finishing sagas.
 */
export async function settledConservationProblem(
  api: Client,
  population: Population,
  answered: ReadonlyMap<string, number>,
  withinMs: number,
): Promise<string | undefined> {
  const giveUpAt = Date.now() + withinMs;
  for (;;) {
    const problem = await conservationProblem(api, population, answered);
    if (problem === undefined || Date.now() >= giveUpAt) return problem;
    await sleep(500);
  }
}
