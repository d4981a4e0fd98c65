/** The stock service's public API (README, The API). */
import { randomUUID } from 'node:crypto';
import {
  AMOUNT,
  COUNT,
  ID,
  IDEMPOTENCY_HEADERS,
  MAX_BATCH,
  amount,
  fingerprintOf,
  pathParams,
  sendCreated,
  sendOutcome,
  type App,
  type IdempotencyHeaders,
} from '../../lib/http.js';
import { MESSAGE, responses } from '../../lib/openapi.js';
import type { StockStore } from './store.js';

interface ItemParams {
  item_id: string;
}
interface AmountParams extends ItemParams {
  amount: string;
}

export function stockRoutes(app: App, store: StockStore): void {
  app.get<{ Params: ItemParams }>(
    '/stock/find/:item_id',
    {
      schema: {
        params: pathParams({ item_id: ID }),
        response: responses(
          {
            type: 'object',
            required: ['stock', 'price'],
            properties: { stock: { type: 'integer' }, price: { type: 'integer' } },
          },
          404,
        ),
      },
    },
    async (request, reply) => {
      const item = await store.findItem(request.params.item_id);
      if (!item) return reply.code(404).send({ error: 'item not found' });
      return item;
    },
  );

  for (const op of ['add', 'subtract'] as const) {
    app.post<{ Params: AmountParams; Headers: IdempotencyHeaders }>(
      `/stock/${op}/:item_id/:amount`,
      {
        schema: {
          params: pathParams({ item_id: ID, amount: AMOUNT }),
          headers: IDEMPOTENCY_HEADERS,
          response: responses(MESSAGE, 404),
        },
      },
      async (request, reply) => {
        const { item_id: itemId } = request.params;
        const value = amount(request.params.amount, 'amount');
        const opId = request.headers['idempotency-key'];
        const outcome = await store[op](itemId, value, opId, fingerprintOf(request));
        return sendOutcome(reply, outcome, {
          msg: `stock of ${itemId} ${op === 'add' ? 'increased' : 'decreased'}`,
        });
      },
    );
  }

  app.post<{ Params: { price: string }; Headers: IdempotencyHeaders }>(
    '/stock/item/create/:price',
    {
      schema: {
        params: pathParams({ price: AMOUNT }),
        headers: IDEMPOTENCY_HEADERS,
        response: responses({
          type: 'object',
          required: ['item_id'],
          properties: { item_id: { type: 'string' } },
        }),
      },
    },
    async (request, reply) => {
      const price = amount(request.params.price, 'price');
      const key = request.headers['idempotency-key'];
      const created = await store.createItem(randomUUID(), price, key, fingerprintOf(request));
      return sendCreated(reply, created, 'item_id');
    },
  );

  app.post<{ Params: { n: string; starting_stock: string; item_price: string } }>(
    '/stock/batch_init/:n/:starting_stock/:item_price',
    {
      schema: {
        params: pathParams({ n: AMOUNT, starting_stock: COUNT, item_price: AMOUNT }),
        response: responses(MESSAGE),
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
