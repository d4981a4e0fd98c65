/** The order service's public API (README, The API). */
import { randomInt } from 'node:crypto';
import {
  AMOUNT,
  ID,
  IDEMPOTENCY_HEADERS,
  MAX_BATCH,
  amount,
  pathParams,
  sendOutcome,
  type App,
  type IdempotencyHeaders,
} from '../../lib/http.js';
import { MAX_AMOUNT, refused } from '../../lib/outcome.js';
import { createRoute, keyOf } from '../../lib/keyed-routes.js';
import { MESSAGE, responses } from '../../lib/openapi.js';
import type { PriceLookup } from './price.js';
import type { Checkout } from './saga.js';
import type { NewOrder, OrderStore } from './store.js';

const orderParams = pathParams({ order_id: ID });
const orderResponse = {
  type: 'object',
  required: ['order_id', 'paid', 'items', 'user_id', 'total_cost'],
  properties: {
    order_id: { type: 'string' },
    paid: { type: 'boolean' },
    items: { type: 'array', items: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] } },
    user_id: { type: 'string' },
    total_cost: { type: 'integer' },
  },
} as const;

/** Orders are written in chunks so one batch_init never holds the store for long. */
const PUT_CHUNK = 10_000;

export interface OrderDeps {
  store: OrderStore;
  checkout: Checkout;
  price: PriceLookup;
}

export function orderRoutes(app: App, { store, checkout, price }: OrderDeps): void {
  createRoute(app, {
    path: '/orders/create/:user_id',
    params: { user_id: ID },
    idField: 'order_id',
    create: (orderId, params, { key, fingerprint }) =>
      store.createOrder(orderId, params.user_id, key, fingerprint),
  });

  app.get<{ Params: { order_id: string } }>(
    '/orders/find/:order_id',
    { schema: { params: orderParams, response: responses(orderResponse, 404) } },
    async (request, reply) => {
      const order = await store.findOrder(request.params.order_id);
      if (!order) return reply.code(404).send({ error: 'order not found' });
      return {
        order_id: order.orderId,
        paid: order.paid,
        items: order.items,
        user_id: order.userId,
        total_cost: order.totalCost,
      };
    },
  );

  app.post<{ Params: { order_id: string; item_id: string; quantity: string }; Headers: IdempotencyHeaders }>(
    '/orders/addItem/:order_id/:item_id/:quantity',
    {
      schema: {
        params: pathParams({ order_id: ID, item_id: ID, quantity: AMOUNT }),
        headers: IDEMPOTENCY_HEADERS,
        response: responses(MESSAGE, 404, 409),
      },
    },
    async (request, reply) => {
      const { order_id: orderId, item_id: itemId } = request.params;
      const quantity = amount(request.params.quantity, 'quantity');
      const itemPrice = await price(itemId);
      if (itemPrice === undefined) return sendOutcome(reply, refused('item_not_found'), {});
      const cost = quantity * itemPrice;
      if (!Number.isSafeInteger(cost) || cost > MAX_AMOUNT)
        return sendOutcome(reply, refused('overflow'), {});
      const { key, fingerprint } = keyOf(request);
      const outcome = await store.addItem(orderId, itemId, quantity, itemPrice, key, fingerprint);
      return sendOutcome(reply, outcome, { msg: `item ${itemId} added to order ${orderId}` });
    },
  );

  app.post<{ Params: { order_id: string }; Headers: IdempotencyHeaders }>(
    '/orders/checkout/:order_id',
    {
      schema: {
        params: orderParams,
        headers: IDEMPOTENCY_HEADERS,
        response: responses(MESSAGE, 404, 409),
      },
    },
    async (request, reply) => {
      const { key, fingerprint } = keyOf(request);
      const outcome = await checkout.checkout(request.params.order_id, key, fingerprint);
      return sendOutcome(reply, outcome, { msg: 'Checkout successful' });
    },
  );

  app.post<{ Params: { n: string; n_items: string; n_users: string; item_price: string } }>(
    '/orders/batch_init/:n/:n_items/:n_users/:item_price',
    {
      schema: {
        params: pathParams({ n: AMOUNT, n_items: AMOUNT, n_users: AMOUNT, item_price: AMOUNT }),
        response: responses(MESSAGE),
      },
    },
    async (request) => {
      const n = amount(request.params.n, 'n', MAX_BATCH);
      const nItems = amount(request.params.n_items, 'n_items', MAX_BATCH);
      const nUsers = amount(request.params.n_users, 'n_users', MAX_BATCH);
      // Two items of quantity 1 each, like the reference; their cost must stay an exact integer.
      const itemPrice = amount(request.params.item_price, 'item_price', Math.floor(MAX_AMOUNT / 2));
      for (let start = 0; start < n; start += PUT_CHUNK) {
        const chunk: NewOrder[] = [];
        for (let i = start; i < Math.min(n, start + PUT_CHUNK); i++) {
          chunk.push({
            orderId: String(i),
            userId: String(randomInt(nUsers)),
            items: [
              [String(randomInt(nItems)), 1],
              [String(randomInt(nItems)), 1],
            ],
            totalCost: 2 * itemPrice,
          });
        }
        await store.putOrders(chunk);
      }
      return { msg: 'Batch init for orders successful' };
    },
  );
}
