/** The stock service's public API (ARCHITECTURE §1). */
import { randomUUID } from 'node:crypto';
import {
  AMOUNT,
  COUNT,
  ID,
  IDEMPOTENCY_KEY,
  MAX_BATCH,
  amount,
  sendOutcome,
  type App,
} from '../../lib/http.js';
import type { StockStore } from './store.js';

interface ItemParams {
  item_id: string;
}
interface AmountParams extends ItemParams {
  amount: string;
}
interface Headers {
  'idempotency-key'?: string;
}

const itemParams = { type: 'object', required: ['item_id'], properties: { item_id: ID } } as const;
const amountParams = {
  type: 'object',
  required: ['item_id', 'amount'],
  properties: { item_id: ID, amount: AMOUNT },
} as const;
const idempotencyHeaders = { type: 'object', properties: { 'idempotency-key': IDEMPOTENCY_KEY } } as const;

export function stockRoutes(app: App, store: StockStore): void {
  app.get<{ Params: ItemParams }>(
    '/stock/find/:item_id',
    {
      schema: {
        params: itemParams,
        response: {
          200: {
            type: 'object',
            properties: { stock: { type: 'integer' }, price: { type: 'integer' } },
          },
        },
      },
    },
    async (request, reply) => {
      const item = await store.findItem(request.params.item_id);
      if (!item) return reply.code(404).send({ error: 'item not found' });
      return item;
    },
  );

  for (const op of ['add', 'subtract'] as const) {
    app.post<{ Params: AmountParams; Headers: Headers }>(
      `/stock/${op}/:item_id/:amount`,
      { schema: { params: amountParams, headers: idempotencyHeaders } },
      async (request, reply) => {
        const { item_id: itemId } = request.params;
        const value = amount(request.params.amount, 'amount');
        const opId = request.headers['idempotency-key'];
        const outcome = await store[op](itemId, value, opId);
        return sendOutcome(reply, outcome, {
          msg: `stock of ${itemId} ${op === 'add' ? 'increased' : 'decreased'}`,
        });
      },
    );
  }

  app.post<{ Params: { price: string } }>(
    '/stock/item/create/:price',
    {
      schema: {
        params: { type: 'object', required: ['price'], properties: { price: AMOUNT } },
        response: { 200: { type: 'object', properties: { item_id: { type: 'string' } } } },
      },
    },
    async (request) => {
      const itemId = randomUUID();
      await store.createItem(itemId, amount(request.params.price, 'price'));
      return { item_id: itemId };
    },
  );

  app.post<{ Params: { n: string; starting_stock: string; item_price: string } }>(
    '/stock/batch_init/:n/:starting_stock/:item_price',
    {
      schema: {
        params: {
          type: 'object',
          required: ['n', 'starting_stock', 'item_price'],
          properties: { n: AMOUNT, starting_stock: COUNT, item_price: AMOUNT },
        },
      },
    },
    async (request) => {
      const n = amount(request.params.n, 'n', MAX_BATCH);
      await store.batchInit(
        n,
        amount(request.params.starting_stock, 'starting_stock'),
        amount(request.params.item_price, 'item_price'),
      );
      return { msg: 'Batch init for stock successful' };
    },
  );
}
