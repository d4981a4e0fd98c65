/**
 * Bad input of every kind answers a 4xx with a JSON error and changes nothing: checked by
 * reading the whole touched state before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORDER_LIMITS } from '../../src/lib/config.js';
import { createClient, field, type Client, type Target } from '../../harness/client.js';

const BAD_AMOUNTS = [
  '0',
  '-1',
  '1.5',
  'abc',
  '1e3',
  '0x10',
  '9007199254740992',
  '99999999999999999999',
  '%20',
  '+5',
];

export function describeBadInput(name: string, baseUrl: () => Target): void {
  describe(`bad input (${name})`, () => {
    let api: Client;
    let userId: string;
    let itemId: string;
    let orderId: string;

    async function snapshot(): Promise<unknown[]> {
      return Promise.all(
        [`/payment/find_user/${userId}`, `/stock/find/${itemId}`, `/orders/find/${orderId}`].map(
          async (path) => (await api.get(path)).body,
        ),
      );
    }

    async function expectRefused(method: string, path: string, headers?: Record<string, string>) {
      const response = await api.request(method, path, headers);
      expect(response.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${method} ${path}`).toBeLessThan(500);
      expect(typeof field<string>(response, 'error'), `${method} ${path}`).toBe('string');
    }

    beforeAll(async () => {
      api = createClient(baseUrl(), 8);
      userId = field<string>(await api.post('/payment/create_user'), 'user_id');
      await api.post(`/payment/add_funds/${userId}/100`);
      itemId = field<string>(await api.post('/stock/item/create/10'), 'item_id');
      await api.post(`/stock/add/${itemId}/100`);
      orderId = field<string>(await api.post(`/orders/create/${userId}`), 'order_id');
      await api.post(`/orders/addItem/${orderId}/${itemId}/1`);
    });
    afterAll(() => api.close());

    it('refuses zero, negative, fractional, non-numeric and huge amounts', async () => {
      const before = await snapshot();
      for (const amount of BAD_AMOUNTS) {
        await expectRefused('POST', `/payment/add_funds/${userId}/${amount}`);
        await expectRefused('POST', `/payment/pay/${userId}/${amount}`);
        await expectRefused('POST', `/stock/add/${itemId}/${amount}`);
        await expectRefused('POST', `/stock/subtract/${itemId}/${amount}`);
        await expectRefused('POST', `/orders/addItem/${orderId}/${itemId}/${amount}`);
        await expectRefused('POST', `/stock/item/create/${amount}`);
        await expectRefused('POST', `/stock/batch_init/${amount}/1/1`);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('refuses an addItem past the most units of an order with 400 and changes nothing', async () => {
      const before = await snapshot();
      const response = await api.post(
        `/orders/addItem/${orderId}/${itemId}/${DEFAULT_ORDER_LIMITS.maxQuantity}`,
      );
      expect(response.status).toBe(400);
      expect(field<string>(response, 'error')).toMatch(/^order is full/);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses balances that would pass 2^53 - 1', async () => {
      const before = await snapshot();
      await expectRefused('POST', `/payment/add_funds/${userId}/9007199254740991`);
      await expectRefused('POST', `/stock/add/${itemId}/9007199254740991`);
      await expectRefused('POST', `/orders/addItem/${orderId}/${itemId}/900719925474099`);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses malformed paths, ids, methods, headers and bodies', async () => {
      const before = await snapshot();
      const long = 'x'.repeat(300);
      const cases: [string, string, Record<string, string>?][] = [
        ['GET', '/'],
        ['GET', '/nope'],
        ['GET', '/stock/find'],
        ['GET', '/stock/find/'],
        ['GET', `/stock/find/${itemId}/extra`],
        ['GET', `/stock/find/${long}`],
        ['GET', '/stock/find/a%20b'],
        ['GET', '/stock/find/..'],
        ['GET', '/payment/find_user/%00'],
        ['POST', `/stock/find/${itemId}`],
        ['GET', `/stock/add/${itemId}/1`],
        ['DELETE', `/orders/find/${orderId}`],
        ['PUT', `/payment/pay/${userId}/1`],
        ['POST', `/orders/checkout/${orderId}/again`],
        ['POST', `/payment/pay/${userId}/1`, { 'idempotency-key': 'spaces are not allowed' }],
        ['POST', '/orders/batch_init/10/0/1/1'],
        ['POST', '/orders/batch_init/2000000/1/1/1'],
        ['POST', '/payment/batch_init/-3/1'],
      ];
      for (const [method, path, headers] of cases) await expectRefused(method, path, headers);
      expect(await snapshot()).toEqual(before);
    });

    it('ignores request bodies instead of failing on them', async () => {
      const bodies: [string, string][] = [
        ['application/json', '{"amount": 5'],
        ['application/json', '[]'],
        ['text/plain', 'hello'],
        ['application/octet-stream', '\u0000\u0001'],
      ];
      for (const [type, body] of bodies) {
        const response = await api.request('POST', `/stock/add/${itemId}/1`, { 'content-type': type }, body);
        expect(response.status).toBe(200);
      }
      expect((await api.get(`/stock/find/${itemId}`)).body).toEqual({ stock: 104, price: 10 });
    });
  });
}
