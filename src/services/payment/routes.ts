/** The payment service's public API (ARCHITECTURE §1). */
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
import type { PaymentStore } from './store.js';

interface UserParams {
  user_id: string;
}
interface AmountParams extends UserParams {
  amount: string;
}
interface Headers {
  'idempotency-key'?: string;
}

const userParams = { type: 'object', required: ['user_id'], properties: { user_id: ID } } as const;
const amountParams = {
  type: 'object',
  required: ['user_id', 'amount'],
  properties: { user_id: ID, amount: AMOUNT },
} as const;
const idempotencyHeaders = { type: 'object', properties: { 'idempotency-key': IDEMPOTENCY_KEY } } as const;

export function paymentRoutes(app: App, store: PaymentStore): void {
  app.get<{ Params: UserParams }>(
    '/payment/find_user/:user_id',
    {
      schema: {
        params: userParams,
        response: {
          200: {
            type: 'object',
            properties: { user_id: { type: 'string' }, credit: { type: 'integer' } },
          },
        },
      },
    },
    async (request, reply) => {
      const userId = request.params.user_id;
      const credit = await store.findCredit(userId);
      if (credit === undefined) return reply.code(404).send({ error: 'user not found' });
      return { user_id: userId, credit };
    },
  );

  app.post<{ Params: AmountParams; Headers: Headers }>(
    '/payment/add_funds/:user_id/:amount',
    { schema: { params: amountParams, headers: idempotencyHeaders } },
    async (request, reply) => {
      const { user_id: userId } = request.params;
      const value = amount(request.params.amount, 'amount');
      const outcome = await store.addFunds(userId, value, request.headers['idempotency-key']);
      return sendOutcome(reply, outcome, { msg: `credit of ${userId} increased` });
    },
  );

  app.post<{ Params: AmountParams; Headers: Headers }>(
    '/payment/pay/:user_id/:amount',
    { schema: { params: amountParams, headers: idempotencyHeaders } },
    async (request, reply) => {
      const { user_id: userId } = request.params;
      const value = amount(request.params.amount, 'amount');
      const outcome = await store.pay(userId, value, request.headers['idempotency-key']);
      return sendOutcome(reply, outcome, { msg: `credit of ${userId} decreased` });
    },
  );

  app.post(
    '/payment/create_user',
    { schema: { response: { 200: { type: 'object', properties: { user_id: { type: 'string' } } } } } },
    async () => {
      const userId = randomUUID();
      await store.createUser(userId);
      return { user_id: userId };
    },
  );

  app.post<{ Params: { n: string; starting_money: string } }>(
    '/payment/batch_init/:n/:starting_money',
    {
      schema: {
        params: {
          type: 'object',
          required: ['n', 'starting_money'],
          properties: { n: AMOUNT, starting_money: COUNT },
        },
      },
    },
    async (request) => {
      const n = amount(request.params.n, 'n', MAX_BATCH);
      await store.batchInit(n, amount(request.params.starting_money, 'starting_money'));
      return { msg: 'Batch init for users successful' };
    },
  );
}
