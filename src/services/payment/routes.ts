/** The payment service's public API (README, The API). */
import { AMOUNT, COUNT, ID, MAX_BATCH, amount, pathParams, type App } from '../../lib/http.js';
import { amountWriteRoute, createRoute } from '../../lib/keyed-routes.js';
import { MESSAGE, responses } from '../../lib/openapi.js';
import type { PaymentStore } from './store.js';

interface UserParams {
  user_id: string;
}

export function paymentRoutes(app: App, store: PaymentStore): void {
  app.get<{ Params: UserParams }>(
    '/payment/find_user/:user_id',
    {
      schema: {
        params: pathParams({ user_id: ID }),
        response: responses(
          {
            type: 'object',
            required: ['user_id', 'credit'],
            properties: { user_id: { type: 'string' }, credit: { type: 'integer' } },
          },
          404,
        ),
      },
    },
    async (request, reply) => {
      const userId = request.params.user_id;
      const credit = await store.findCredit(userId);
      if (credit === undefined) return reply.code(404).send({ error: 'user not found' });
      return { user_id: userId, credit };
    },
  );

  amountWriteRoute(app, {
    path: '/payment/add_funds',
    idParam: 'user_id',
    apply: (userId, value, { key, fingerprint }) => store.addFunds(userId, value, key, fingerprint),
    done: (userId) => `credit of ${userId} increased`,
  });
  amountWriteRoute(app, {
    path: '/payment/pay',
    idParam: 'user_id',
    apply: (userId, value, { key, fingerprint }) => store.pay(userId, value, key, fingerprint),
    done: (userId) => `credit of ${userId} decreased`,
  });
  createRoute(app, {
    path: '/payment/create_user',
    idField: 'user_id',
    create: (userId, _params, { key, fingerprint }) => store.createUser(userId, key, fingerprint),
  });

  app.post<{ Params: { n: string; starting_money: string } }>(
    '/payment/batch_init/:n/:starting_money',
    {
      schema: {
        params: pathParams({ n: AMOUNT, starting_money: COUNT }),
        response: responses(MESSAGE),
      },
    },
    async (request) => {
      const n = amount(request.params.n, 'n', MAX_BATCH);
      await store.batchInit(n, amount(request.params.starting_money, 'starting_money'));
      return { msg: 'Batch init for users successful' };
    },
  );
}
