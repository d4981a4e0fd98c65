/** The payment service's public API (README, The API). */
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
import type { PaymentStore } from './store.js';

interface UserParams {
  user_id: string;
}
interface AmountParams extends UserParams {
  amount: string;
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

  app.post<{ Params: AmountParams; Headers: IdempotencyHeaders }>(
    '/payment/add_funds/:user_id/:amount',
    {
      schema: {
        params: pathParams({ user_id: ID, amount: AMOUNT }),
        headers: IDEMPOTENCY_HEADERS,
        response: responses(MESSAGE, 404),
      },
    },
    async (request, reply) => {
      const { user_id: userId } = request.params;
      const value = amount(request.params.amount, 'amount');
      const key = request.headers['idempotency-key'];
      const outcome = await store.addFunds(userId, value, key, fingerprintOf(request));
      return sendOutcome(reply, outcome, { msg: `credit of ${userId} increased` });
    },
  );

  app.post<{ Params: AmountParams; Headers: IdempotencyHeaders }>(
    '/payment/pay/:user_id/:amount',
    {
      schema: {
        params: pathParams({ user_id: ID, amount: AMOUNT }),
        headers: IDEMPOTENCY_HEADERS,
        response: responses(MESSAGE, 404),
      },
    },
    async (request, reply) => {
      const { user_id: userId } = request.params;
      const value = amount(request.params.amount, 'amount');
      const key = request.headers['idempotency-key'];
      const outcome = await store.pay(userId, value, key, fingerprintOf(request));
      return sendOutcome(reply, outcome, { msg: `credit of ${userId} decreased` });
    },
  );

  app.post<{ Headers: IdempotencyHeaders }>(
    '/payment/create_user',
    {
      schema: {
        headers: IDEMPOTENCY_HEADERS,
        response: responses({
          type: 'object',
          required: ['user_id'],
          properties: { user_id: { type: 'string' } },
        }),
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const created = await store.createUser(randomUUID(), key, fingerprintOf(request));
      return sendCreated(reply, created, 'user_id');
    },
  );

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
