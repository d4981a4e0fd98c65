/** The stock service's public API (README, The API). */
import { AMOUNT, COUNT, ID, MAX_BATCH, amount, pathParams, type App } from '../../lib/http.js';
import { amountWriteRoute, createRoute } from '../../lib/keyed-routes.js';
import { MESSAGE, responses } from '../../lib/openapi.js';
import type { StockStore } from './store.js';

interface ItemParams {
  item_id: string;
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
    amountWriteRoute(app, {
      path: `/stock/${op}`,
      idParam: 'item_id',
      apply: (itemId, value, { key, fingerprint }) => store[op](itemId, value, key, fingerprint),
      done: (itemId) => `stock of ${itemId} ${op === 'add' ? 'increased' : 'decreased'}`,
    });
  }
  createRoute(app, {
    path: '/stock/item/create/:price',
    params: { price: AMOUNT },
    idField: 'item_id',
    create: (itemId, params, { key, fingerprint }) =>
      store.createItem(itemId, amount(params.price, 'price'), key, fingerprint),
  });

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
