/**
 * The public API contract (README, The API), over real HTTP against any running target:
 * the embedded system, the in-process system on Redis stores, or a cluster behind nginx.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, field, type Client, type Target } from '../../harness/client.js';

export function describeContract(name: string, baseUrl: () => Target): void {
  describe(`API contract (${name})`, () => {
    let client: Client | undefined;
    const api = (): Client => (client ??= createClient(baseUrl(), 16));
    afterAll(() => client?.close());

    async function newUser(credit: number): Promise<string> {
      const userId = field<string>(await api().post('/payment/create_user'), 'user_id');
      if (credit > 0) expect((await api().post(`/payment/add_funds/${userId}/${credit}`)).status).toBe(200);
      return userId;
    }
    async function newItem(price: number, stock: number): Promise<string> {
      const itemId = field<string>(await api().post(`/stock/item/create/${price}`), 'item_id');
      if (stock > 0) expect((await api().post(`/stock/add/${itemId}/${stock}`)).status).toBe(200);
      return itemId;
    }
    const credit = async (userId: string): Promise<number> =>
      field<number>(await api().get(`/payment/find_user/${userId}`), 'credit');
    const stock = async (itemId: string): Promise<number> =>
      field<number>(await api().get(`/stock/find/${itemId}`), 'stock');

    it('creates a user with no credit, adds funds and pays', async () => {
      const userId = await newUser(0);
      expect((await api().get(`/payment/find_user/${userId}`)).body).toEqual({ user_id: userId, credit: 0 });
      expect((await api().post(`/payment/add_funds/${userId}/100`)).status).toBe(200);
      expect((await api().post(`/payment/pay/${userId}/30`)).status).toBe(200);
      expect(await credit(userId)).toBe(70);
    });

    it('refuses a payment beyond the credit and leaves the credit alone', async () => {
      const userId = await newUser(10);
      const response = await api().post(`/payment/pay/${userId}/11`);
      expect(response.status).toBe(400);
      expect(field<string>(response, 'error')).toMatch(/credit/);
      expect(await credit(userId)).toBe(10);
    });

    it('answers 404 with a JSON error for unknown users and items', async () => {
      for (const path of ['/payment/find_user/nobody', '/stock/find/nothing']) {
        const response = await api().get(path);
        expect(response.status).toBe(404);
        expect(field<string>(response, 'error')).toMatch(/not found/);
      }
      for (const path of ['/payment/add_funds/nobody/5', '/payment/pay/nobody/5', '/stock/add/nothing/5']) {
        expect((await api().post(path)).status).toBe(404);
      }
      expect((await api().post('/stock/subtract/nothing/5')).status).toBe(404);
    });

    it('creates an item, adds and subtracts stock, refusing to go below zero', async () => {
      const itemId = await newItem(7, 0);
      expect((await api().get(`/stock/find/${itemId}`)).body).toEqual({ stock: 0, price: 7 });
      expect((await api().post(`/stock/add/${itemId}/10`)).status).toBe(200);
      expect((await api().post(`/stock/subtract/${itemId}/3`)).status).toBe(200);
      const refused = await api().post(`/stock/subtract/${itemId}/8`);
      expect(refused.status).toBe(400);
      expect(field<string>(refused, 'error')).toMatch(/stock/);
      expect(await stock(itemId)).toBe(7);
    });

    it('applies a repeated Idempotency-Key once', async () => {
      const itemId = await newItem(1, 10);
      const userId = await newUser(10);
      const key = { 'idempotency-key': `k-${itemId}` };
      for (let i = 0; i < 3; i++) {
        expect((await api().post(`/stock/subtract/${itemId}/4`, key)).status).toBe(200);
        expect((await api().post(`/payment/pay/${userId}/4`, key)).status).toBe(200);
      }
      expect(await stock(itemId)).toBe(6);
      expect(await credit(userId)).toBe(6);
      const orderId = field<string>(await api().post(`/orders/create/${userId}`), 'order_id');
      for (let i = 0; i < 3; i++) {
        expect((await api().post(`/orders/addItem/${orderId}/${itemId}/2`, key)).status).toBe(200);
      }
      expect((await api().get(`/orders/find/${orderId}`)).body).toMatchObject({
        items: [[itemId, 2]],
        total_cost: 2,
      });
    });

    it('binds an Idempotency-Key to its request: 422 for another, the first answer replayed', async () => {
      const u1 = await newUser(0);
      const u2 = await newUser(0);
      const key = { 'idempotency-key': `bound-${u1}` };
      const first = await api().post(`/payment/add_funds/${u1}/100`, key);
      expect(first.status).toBe(200);
      for (const path of [`/payment/add_funds/${u2}/70`, `/payment/pay/${u1}/30`]) {
        const reused = await api().post(path, key);
        expect(reused.status, path).toBe(422);
        expect(reused.body, path).toEqual({ error: 'idempotency_key_reused' });
      }
      const again = await api().post(`/payment/add_funds/${u1}/100`, key);
      expect({ status: again.status, body: again.body }).toEqual({ status: first.status, body: first.body });
      expect(await credit(u1)).toBe(100);
      expect(await credit(u2)).toBe(0);
    });

    it('a repeated create with the same Idempotency-Key answers the same id', async () => {
      const userId = await newUser(0);
      // Each create, its id field, and another request of the same service (keys are per service).
      const creates = [
        ['/payment/create_user', 'user_id', `/payment/add_funds/${userId}/1`],
        ['/stock/item/create/5', 'item_id', '/stock/item/create/6'],
        [`/orders/create/${userId}`, 'order_id', `/orders/create/${userId}-other`],
      ] as const;
      for (const [path, name, other] of creates) {
        const key = { 'idempotency-key': `create-${randomUUID()}` };
        const first = await api().post(path, key);
        expect(first.status, path).toBe(200);
        const again = await api().post(path, key);
        expect({ status: again.status, body: again.body }, path).toEqual({ status: 200, body: first.body });
        // The same key on another request (another path) changes nothing and says so.
        const reused = await api().post(other, key);
        expect({ status: reused.status, body: reused.body }, other).toEqual({
          status: 422,
          body: { error: 'idempotency_key_reused' },
        });
        expect(await credit(userId)).toBe(0);
        // Without a key, each create makes a new id, as before.
        const plain = [await api().post(path), await api().post(path)].map((r) => field<string>(r, name));
        expect(new Set([...plain, field<string>(first, name)]).size, path).toBe(3);
      }
    });

    it('binds a checkout Idempotency-Key to its first saga: replayed, never re-run, 422 elsewhere', async () => {
      const userId = await newUser(5);
      const itemId = await newItem(10, 5);
      const orderId = field<string>(await api().post(`/orders/create/${userId}`), 'order_id');
      expect((await api().post(`/orders/addItem/${orderId}/${itemId}/1`)).status).toBe(200);
      const key = { 'idempotency-key': `checkout-${orderId}` };
      const first = await api().post(`/orders/checkout/${orderId}`, key);
      expect(first.status).toBe(400);
      // Credit is enough now, but the key answers its first saga's outcome and runs nothing.
      expect((await api().post(`/payment/add_funds/${userId}/5`)).status).toBe(200);
      const again = await api().post(`/orders/checkout/${orderId}`, key);
      expect({ status: again.status, body: again.body }).toEqual({ status: first.status, body: first.body });
      expect(field<boolean>(await api().get(`/orders/find/${orderId}`), 'paid')).toBe(false);
      expect(await credit(userId)).toBe(10);
      // The key on another request of the order service is refused and changes nothing.
      for (const path of [`/orders/checkout/${orderId}-other`, `/orders/addItem/${orderId}/${itemId}/1`]) {
        const reused = await api().post(path, key);
        expect({ status: reused.status, body: reused.body }, path).toEqual({
          status: 422,
          body: { error: 'idempotency_key_reused' },
        });
      }
      expect(field<number>(await api().get(`/orders/find/${orderId}`), 'total_cost')).toBe(10);
      // A new key (or none) is a new checkout: it pays, once.
      const paid = { 'idempotency-key': `paid-${orderId}` };
      for (let i = 0; i < 2; i++)
        expect((await api().post(`/orders/checkout/${orderId}`, paid)).status).toBe(200);
      expect(await credit(userId)).toBe(0);
      expect(await stock(itemId)).toBe(4);
    });

    it('batch-initialises users, items and orders like the reference', async () => {
      expect((await api().post('/payment/batch_init/20/50')).status).toBe(200);
      expect((await api().post('/stock/batch_init/20/100/3')).status).toBe(200);
      expect((await api().post('/orders/batch_init/20/20/20/3')).status).toBe(200);
      expect((await api().get('/payment/find_user/19')).body).toEqual({ user_id: '19', credit: 50 });
      expect((await api().get('/stock/find/19')).body).toEqual({ stock: 100, price: 3 });
      const order = await api().get('/orders/find/7');
      expect(order.status).toBe(200);
      expect(field<boolean>(order, 'paid')).toBe(false);
      expect(field<number>(order, 'total_cost')).toBe(6);
      const items = field<[string, number][]>(order, 'items');
      expect(items).toHaveLength(2);
      for (const [itemId, quantity] of items) {
        expect(Number(itemId)).toBeLessThan(20);
        expect(quantity).toBe(1);
      }
      expect(Number(field<string>(order, 'user_id'))).toBeLessThan(20);
    });

    it('builds an order, shows its items and total, and checks it out exactly once', async () => {
      const userId = await newUser(100);
      const cheap = await newItem(5, 10);
      const dear = await newItem(20, 3);
      const orderId = field<string>(await api().post(`/orders/create/${userId}`), 'order_id');
      expect((await api().get(`/orders/find/${orderId}`)).body).toEqual({
        order_id: orderId,
        paid: false,
        items: [],
        user_id: userId,
        total_cost: 0,
      });
      expect((await api().post(`/orders/addItem/${orderId}/${cheap}/2`)).status).toBe(200);
      expect((await api().post(`/orders/addItem/${orderId}/${dear}/1`)).status).toBe(200);
      expect((await api().post(`/orders/addItem/${orderId}/${cheap}/1`)).status).toBe(200);
      const before = await api().get(`/orders/find/${orderId}`);
      expect(field<unknown>(before, 'items')).toEqual([
        [cheap, 2],
        [dear, 1],
        [cheap, 1],
      ]);
      expect(field<number>(before, 'total_cost')).toBe(35);

      for (let i = 0; i < 2; i++) expect((await api().post(`/orders/checkout/${orderId}`)).status).toBe(200);
      expect(field<boolean>(await api().get(`/orders/find/${orderId}`), 'paid')).toBe(true);
      expect(await credit(userId)).toBe(65);
      expect(await stock(cheap)).toBe(7);
      expect(await stock(dear)).toBe(2);

      const late = await api().post(`/orders/addItem/${orderId}/${cheap}/1`);
      expect(late.status).toBe(409);
      expect(field<number>(await api().get(`/orders/find/${orderId}`), 'total_cost')).toBe(35);
    });

    it('fails checkout on short stock and on short credit with nothing changed anywhere', async () => {
      const rich = await newUser(1000);
      const poor = await newUser(5);
      const scarce = await newItem(10, 1);
      const plenty = await newItem(10, 50);
      const shortStock = field<string>(await api().post(`/orders/create/${rich}`), 'order_id');
      await api().post(`/orders/addItem/${shortStock}/${plenty}/2`);
      await api().post(`/orders/addItem/${shortStock}/${scarce}/2`);
      const shortCredit = field<string>(await api().post(`/orders/create/${poor}`), 'order_id');
      await api().post(`/orders/addItem/${shortCredit}/${plenty}/1`);

      const stockFail = await api().post(`/orders/checkout/${shortStock}`);
      expect(stockFail.status).toBe(400);
      expect(field<string>(stockFail, 'error')).toMatch(/stock/);
      const creditFail = await api().post(`/orders/checkout/${shortCredit}`);
      expect(creditFail.status).toBe(400);
      expect(field<string>(creditFail, 'error')).toMatch(/credit/);

      expect(await credit(rich)).toBe(1000);
      expect(await credit(poor)).toBe(5);
      expect(await stock(scarce)).toBe(1);
      expect(await stock(plenty)).toBe(50);
      for (const orderId of [shortStock, shortCredit]) {
        expect(field<boolean>(await api().get(`/orders/find/${orderId}`), 'paid')).toBe(false);
      }
      // Not frozen after an abort: the order can change and be checked out again.
      expect((await api().post(`/orders/addItem/${shortCredit}/${plenty}/1`)).status).toBe(200);
    });

    it('refuses checkout of an unknown order and of an order whose user is unknown', async () => {
      expect((await api().post('/orders/checkout/no-such-order')).status).toBe(404);
      const itemId = await newItem(1, 5);
      const orderId = field<string>(await api().post('/orders/create/ghost-user'), 'order_id');
      await api().post(`/orders/addItem/${orderId}/${itemId}/1`);
      const response = await api().post(`/orders/checkout/${orderId}`);
      expect(response.status).toBe(404);
      expect(field<string>(response, 'error')).toMatch(/user/);
      expect(await stock(itemId)).toBe(5);
    });

    it('refuses items that do not exist and orders that do not exist', async () => {
      const userId = await newUser(0);
      const orderId = field<string>(await api().post(`/orders/create/${userId}`), 'order_id');
      expect((await api().post(`/orders/addItem/${orderId}/no-item/1`)).status).toBe(404);
      const itemId = await newItem(1, 1);
      expect((await api().post(`/orders/addItem/no-order/${itemId}/1`)).status).toBe(404);
      expect((await api().get('/orders/find/no-order')).status).toBe(404);
      expect(field<number>(await api().get(`/orders/find/${orderId}`), 'total_cost')).toBe(0);
    });
  });
}
