/**
 * The public benchmark's consistency scenario and concurrent repeats of one checkout, over
 * real HTTP with many connections, against any running target.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inParallel } from '../../harness/pool.js';
import { createClient, field, type Client, type Target } from '../../harness/client.js';
import { conservationProblem } from '../support/conservation.js';

export { inParallel } from '../../harness/pool.js';

export function describeConsistency(name: string, baseUrl: () => Target, users = 1000): void {
  describe(`consistency (${name})`, () => {
    let client: Client | undefined;
    const api = (): Client => (client ??= createClient(baseUrl(), 128));
    afterAll(() => client?.close());

    it(`sells exactly 100 units to ${users} buyers racing for them, and repeats change nothing`, async () => {
      const itemId = field<string>(await api().post('/stock/item/create/1'), 'item_id');
      expect((await api().post(`/stock/add/${itemId}/100`)).status).toBe(200);
      const userIds = await inParallel(users, 64, async () => {
        const userId = field<string>(await api().post('/payment/create_user'), 'user_id');
        expect((await api().post(`/payment/add_funds/${userId}/1`)).status).toBe(200);
        return userId;
      });
      const orderIds = await inParallel(users, 64, async (i) => {
        const orderId = field<string>(await api().post(`/orders/create/${userIds[i]}`), 'order_id');
        expect((await api().post(`/orders/addItem/${orderId}/${itemId}/1`)).status).toBe(200);
        return orderId;
      });

      const statuses = await Promise.all(
        orderIds.map(async (orderId) => (await api().post(`/orders/checkout/${orderId}`)).status),
      );
      const ok = statuses.filter((s) => s === 200).length;
      const refused = statuses.filter((s) => s >= 400 && s < 500).length;
      console.log(`[${name}] ${users} concurrent checkouts: ${ok} x 200, ${refused} x 4xx`);
      expect(ok).toBe(100);
      expect(refused).toBe(users - 100);

      async function checkState(): Promise<void> {
        expect(field<number>(await api().get(`/stock/find/${itemId}`), 'stock')).toBe(0);
        const credits = await inParallel(users, 64, async (i) =>
          field<number>(await api().get(`/payment/find_user/${userIds[i]}`), 'credit'),
        );
        const paid = await inParallel(users, 64, async (i) =>
          field<boolean>(await api().get(`/orders/find/${orderIds[i]}`), 'paid'),
        );
        expect(credits.reduce((a, b) => a + b, 0)).toBe(users - 100);
        statuses.forEach((status, i) => {
          expect(paid[i]).toBe(status === 200);
          expect(credits[i]).toBe(status === 200 ? 0 : 1);
        });
      }
      await checkState();

      const repeated = await Promise.all(
        orderIds.map(async (orderId) => (await api().post(`/orders/checkout/${orderId}`)).status),
      );
      repeated.forEach((status, i) => expect(status === 200).toBe(statuses[i] === 200));
      await checkState();
    });

    it('starts over after a second batch_init: reused order ids charge the fresh users once', async () => {
      // The public stress test calls batch_init at the start of every run, reusing ids "0".."n-1".
      const population = { orders: 40, users: 10, items: 5, credit: 100, stock: 100 };
      const { orders, users, items, credit, stock } = population;
      for (let round = 1; round <= 2; round++) {
        expect((await api().post(`/payment/batch_init/${users}/${credit}`)).status).toBe(200);
        expect((await api().post(`/stock/batch_init/${items}/${stock}/1`)).status).toBe(200);
        expect((await api().post(`/orders/batch_init/${orders}/${items}/${users}/1`)).status).toBe(200);
        const answered = new Map<string, number>();
        await inParallel(orders, 16, async (i) => {
          answered.set(String(i), (await api().post(`/orders/checkout/${i}`)).status);
        });
        expect([...answered.values()].every((status) => status === 200)).toBe(true);
        expect(await conservationProblem(api(), population, answered), `round ${round}`).toBeUndefined();
      }
    });

    it('charges once and takes stock once for 50 concurrent checkouts of one order', async () => {
      const userId = field<string>(await api().post('/payment/create_user'), 'user_id');
      await api().post(`/payment/add_funds/${userId}/1000`);
      const itemId = field<string>(await api().post('/stock/item/create/7'), 'item_id');
      await api().post(`/stock/add/${itemId}/100`);
      const orderId = field<string>(await api().post(`/orders/create/${userId}`), 'order_id');
      await api().post(`/orders/addItem/${orderId}/${itemId}/3`);

      const answers = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const response = await api().post(`/orders/checkout/${orderId}`);
          return `${response.status} ${JSON.stringify(response.body)}`;
        }),
      );
      expect(new Set(answers).size).toBe(1);
      expect(answers[0]).toMatch(/^200 /);
      expect(field<number>(await api().get(`/payment/find_user/${userId}`), 'credit')).toBe(1000 - 21);
      expect(field<number>(await api().get(`/stock/find/${itemId}`), 'stock')).toBe(97);
    });
  });
}
