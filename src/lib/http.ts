/**
 * The HTTP shell shared by every process: Fastify with route schemas, JSON errors, and the
 * guarantee that a request's fault is a 4xx and only a bug is a 5xx (docs/architecture.md, Invariants).
 */
import { createHash } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyError,
  type FastifyRequest,
  type RouteOptions,
} from 'fastify';
import { HTTP_ERRORS, unavailableOf } from './errors.js';
import type { Log } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { addOpenApi } from './openapi.js';
import { TRACEPARENT, tracer } from './tracing.js';
import { MAX_AMOUNT, type Created, type Outcome } from './outcome.js';

export type App = FastifyInstance;

/** Ids in paths: what the reference generates (uuids, "0".."n-1") and nothing that needs escaping. */
export const ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
/** Positive integers in paths; the upper bound (2^53 - 1) is checked by `amount()`. */
export const AMOUNT = { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } as const;
/** Non-negative integers, for batch_init starting values. */
export const COUNT = { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' } as const;
/** Client-chosen Idempotency-Key header on non-idempotent stock and payment calls. */
export const IDEMPOTENCY_KEY = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' } as const;

/** The route schema of path parameters: all required, each a string checked by its pattern. */
export function pathParams(properties: Record<string, typeof ID | typeof AMOUNT | typeof COUNT>) {
  return { type: 'object', required: Object.keys(properties), properties } as const;
}

export interface IdempotencyHeaders {
  'idempotency-key'?: string;
}
export const IDEMPOTENCY_HEADERS = {
  type: 'object',
  properties: { 'idempotency-key': IDEMPOTENCY_KEY },
} as const;

/**
 * What an Idempotency-Key is bound to (IETF httpapi idempotency-key draft): the method and the
 * path with its parameters, hashed so the record stays small and holds no spaces. A key sent
 * again with another request answers 422 `idempotency_key_reused`.
 */
export function fingerprintOf(request: { method: string; url: string }): string {
  return createHash('sha256').update(`${request.method} ${request.url}`).digest('base64url').slice(0, 22);
}

/** Largest n a batch_init accepts: beyond it one request would hold the store for seconds. */
export const MAX_BATCH = 1_000_000;

export class BadRequest extends Error {
  readonly statusCode = 400;
}

/** Converts a schema-checked numeric path parameter, refusing values beyond 2^53 - 1. */
export function amount(raw: string, name: string, max = MAX_AMOUNT): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value > max) {
    throw new BadRequest(`invalid ${name}: must be an integer no larger than ${max}`);
  }
  return value;
}

/**
 * The app, and the metrics registry its `/metrics` route exposes. Async because the OpenAPI
 * generator must be registered before any route is added.
 */
export async function buildHttp(log: Log, metrics: Metrics = createMetrics()): Promise<App> {
  // Typed as Fastify's own logger so the app's type stays the plain FastifyInstance.
  const logger: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance: logger,
    // The gateway's id (nginx $request_id in X-Request-Id) names every log line of the request.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    routerOptions: { maxParamLength: 200 },
    bodyLimit: 64 * 1024,
    return503OnClosing: false,
    requestIdHeader: 'x-request-id',
    // Errors the router raises before any route (a path parameter too long: 414) get the
    // same `{"error"}` body as every other refusal.
    frameworkErrors: (error: FastifyError, _request, reply: FastifyReply) => {
      void reply.code(error.statusCode ?? 400).send({ error: error.message });
    },
  });

  // The API takes everything from the path: ignore bodies of any type instead of failing on them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => {
    payload.resume();
    payload.on('end', () => done(null, undefined));
    payload.on('error', (error) => done(error, undefined));
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.request(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  // Off, no hook at all: the handlers run as written.
  if (tracer().enabled) app.addHook('onRoute', traceRoute);
  await addOpenApi(app);
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.render()),
  );

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no route for ${request.method} ${request.url}` });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const issue = error.validation[0];
      const missing = issue?.params['missingProperty'];
      const field =
        issue?.instancePath.replace(/^\//, '') || (typeof missing === 'string' ? missing : 'request');
      return reply.code(400).send({ error: `invalid ${field}: ${issue?.message ?? 'malformed'}` });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: error.message });
    // A dependency that stayed unavailable past its bounded wait: not a bug, try again later.
    const unavailable = unavailableOf(error);
    if (unavailable !== undefined) {
      request.log.warn({ err: error, url: request.url }, 'dependency unavailable; answered 503');
      return reply
        .code(503)
        .header('retry-after', String(unavailable.retryAfterS))
        .send({ error: unavailable.message });
    }
    request.log.error({ err: error, url: request.url }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  return app;
}

/**
 * Runs a route's handler in a server span, a child of the caller's `traceparent` header when
 * it sent one: the saga and the participants' spans hang below it.
 */
function traceRoute(route: RouteOptions): void {
  const schema = route.schema as { hide?: boolean } | undefined;
  if (schema?.hide === true) return;
  const handler = route.handler;
  const name = `${String(route.method)} ${route.url}`;
  route.handler = function traced(this: App, request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers['traceparent'];
    return tracer().inSpan(
      name,
      { 'http.request.method': request.method, 'http.route': route.url, request_id: request.id },
      () => Promise.resolve(handler.call(this, request, reply)),
      {
        parent: typeof header === 'string' && TRACEPARENT.test(header) ? header : undefined,
        server: true,
        end: () => ({ 'http.response.status_code': reply.statusCode }),
      },
    );
  };
}

/** Sends a store or saga outcome: the success body, or the error table's status and message. */
export function sendOutcome(reply: FastifyReply, outcome: Outcome, body: object): FastifyReply {
  if (outcome.ok) return reply.send(body);
  const { status, message } = HTTP_ERRORS[outcome.reason];
  return reply.code(status).send({ error: message });
}

/** A create's answer: `{[field]: id}` (the id first made, on a repeat of the same key), or its refusal. */
export function sendCreated(reply: FastifyReply, created: Created, field: string): FastifyReply {
  return created.ok ? reply.send({ [field]: created.id }) : sendOutcome(reply, created, {});
}

/** `/health` answers while the process lives; `/ready` once `ready()` says its dependencies work. */
export function addHealthRoutes(app: App, ready: () => Promise<boolean>): void {
  const status = { type: 'object', required: ['status'], properties: { status: { type: 'string' } } };
  app.get('/health', { schema: { response: { 200: status } } }, () => ({ status: 'ok' }));
  app.get('/ready', { schema: { response: { 200: status, 503: status } } }, async (_request, reply) => {
    const ok = await ready().catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready' });
  });
}
