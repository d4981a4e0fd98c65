/**
 * The keyed writes the services share: a route taking an optional Idempotency-Key, bound to the
 * request's fingerprint, so a retried call is applied once and the key on another call is a 422.
 * One definition of their schema, fingerprint and answer, so the services cannot drift apart.
 */
import { randomUUID } from 'node:crypto';
import {
  AMOUNT,
  ID,
  IDEMPOTENCY_HEADERS,
  amount,
  fingerprintOf,
  pathParams,
  sendCreated,
  sendOutcome,
  type App,
  type IdempotencyHeaders,
} from './http.js';
import { MESSAGE, responses } from './openapi.js';
import type { Created, Outcome } from './outcome.js';

/** The Idempotency-Key of a request (if any) and the fingerprint it is bound to. */
export interface KeyOf {
  key: string | undefined;
  fingerprint: string;
}

export interface AmountWrite<K extends string> {
  /** The route's fixed part, e.g. `/payment/pay`. */
  path: string;
  /** The path parameter naming whose balance the amount changes. */
  idParam: K;
  apply: (id: string, value: number, keyed: KeyOf) => Promise<Outcome>;
  /** The success message, e.g. `credit of <id> decreased`. */
  done: (id: string) => string;
}

/** POST `<path>/:<idParam>/:amount`: changes a balance by a positive amount, once per key. */
export function amountWriteRoute<K extends string>(app: App, write: AmountWrite<K>): void {
  const { path, idParam, apply, done } = write;
  app.post<{ Headers: IdempotencyHeaders }>(
    `${path}/:${idParam}/:amount`,
    {
      schema: {
        params: pathParams({ [idParam]: ID, amount: AMOUNT }),
        headers: IDEMPOTENCY_HEADERS,
        response: responses(MESSAGE, 404),
      },
    },
    async (request, reply) => {
      const params = pathValues<K | 'amount'>(request.params);
      const id = params[idParam];
      const value = amount(params.amount, 'amount');
      const outcome = await apply(id, value, keyOf(request));
      return sendOutcome(reply, outcome, { msg: done(id) });
    },
  );
}

export interface CreateWrite<K extends string> {
  /** The whole route, e.g. `/stock/item/create/:price`. */
  path: string;
  /** The schema of each path parameter, when the route has any. */
  params?: Record<K, typeof ID | typeof AMOUNT>;
  /** The answer's field holding the new id, e.g. `item_id`. */
  idField: string;
  /** Creates the record under `id` (fresh), or answers the id a repeat of the key made first. */
  create: (id: string, params: Record<K, string>, keyed: KeyOf) => Promise<Created>;
}

/** POST a create: answers `{[idField]: id}`, the same id for every repeat of the same key. */
export function createRoute<K extends string>(app: App, write: CreateWrite<K>): void {
  const { path, params, idField, create } = write;
  const idSchema = { type: 'object', required: [idField], properties: { [idField]: { type: 'string' } } };
  app.post<{ Headers: IdempotencyHeaders }>(
    path,
    {
      schema: {
        ...(params === undefined ? {} : { params: pathParams(params) }),
        headers: IDEMPOTENCY_HEADERS,
        response: responses(idSchema),
      },
    },
    async (request, reply) => {
      const created = await create(randomUUID(), pathValues<K>(request.params), keyOf(request));
      return sendCreated(reply, created, idField);
    },
  );
}

/** The fingerprint (a SHA-256) is bound only with a key: an unkeyed write gets none. */
export function keyOf(request: { method: string; url: string; headers: IdempotencyHeaders }): KeyOf {
  const key = request.headers['idempotency-key'];
  return { key, fingerprint: key === undefined ? '' : fingerprintOf(request) };
}

/**
 * The path parameters as the route's schema checked them: every one present, a string. Fastify
 * cannot type them from a parameter name only known to the caller, hence the assertion here.
 */
function pathValues<K extends string>(params: unknown): Record<K, string> {
  return params as Record<K, string>;
}
