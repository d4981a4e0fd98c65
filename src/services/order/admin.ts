/**
 * The operator API (docs/architecture.md, Operations) under /admin/ and the console page at /console, on the
 * order service's own port. Both exist only when ADMIN_TOKEN is set (else 404, like any unknown
 * path); every /admin/ request must carry `Authorization: Bearer <ADMIN_TOKEN>` (else 401).
 * The public gateway routes neither path (nginx answers them 404): operators reach a replica's
 * port directly, on the private network.
 *
 * Reads never write; retry and cancel go through the saga's own fenced steps (operator.ts),
 * so nothing here can create money or stock. GET /admin/metrics gathers the console's live
 * figures from every order replica over the bus (replica-metrics.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Bus } from '../../bus/bus.js';
import type { Gathering } from '../../bus/gather.js';
import { ID, type App } from '../../lib/http.js';
import type { Metrics } from '../../lib/metrics.js';
import { recordLookup, sagaSummary, sagaView } from './inspect.js';
import type { OperatorResult } from './operator.js';
import { answerMetrics, gatherMetrics } from './replica-metrics.js';
import type { Checkout } from './saga.js';
import type { OrderStore, Saga, SagaState } from './store.js';

export interface AdminDeps {
  token: string;
  store: OrderStore;
  checkout: Checkout;
  bus: Bus & Gathering;
  /** How long to wait for stock's and payment's answer about a saga's records. */
  lookupMs: number;
  /** This replica's id and metrics, as it answers the other replicas' GET /admin/metrics. */
  instance: string;
  metrics: Metrics;
  /** How long GET /admin/metrics waits for the replicas' answers. Default GATHER_MS. */
  gatherMs?: number;
}

const STATES: readonly SagaState[] = ['RUNNING', 'ABORTING', 'COMMITTED', 'ABORTED'];
const MAX_LIMIT = 1000;
/**
 * The least time a person's look-up waits for a participant: a saga's attempt time may be set
 * far shorter (tests use 20 ms), and a busy participant would then read as "unavailable".
 */
const MIN_LOOKUP_MS = 1000;
/**
 * The window of a metrics gather: the broker cannot say how many replicas a question reached,
 * so the asker waits it out; short against the console's 2 s refresh, long against a bus
 * round trip (a few ms).
 */
const GATHER_MS = 300;

const CONSOLE_HTML = new URL('./console.html', import.meta.url);

/** The saga an operator's action now drives, as the action's answer. */
function doneView(saga: Saga) {
  const { sagaId, orderId, state, reason, epoch, owner } = saga;
  return { saga_id: sagaId, order_id: orderId, state, reason: reason ?? null, epoch, owner };
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares in constant time (over digests, so the lengths need not match). */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(header.slice('Bearer '.length)), expected);
}

const orderParams = { type: 'object', required: ['order_id'], properties: { order_id: ID } } as const;
const listQuery = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: STATES },
    older_than_ms: { type: 'string', pattern: '^(0|[1-9][0-9]{0,12})$' },
    limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    cursor: { type: 'string', pattern: '^[A-Za-z0-9_:-]{1,200}$' },
  },
} as const;

interface ListQuery {
  state?: SagaState;
  older_than_ms?: string;
  limit?: string;
  cursor?: string;
}

export function adminRoutes(app: App, deps: AdminDeps): void {
  const { store, checkout, bus } = deps;
  const expected = digest(deps.token);
  const lookup = recordLookup(bus, Math.max(deps.lookupMs, MIN_LOOKUP_MS));
  const consoleHtml = readFileSync(CONSOLE_HTML, 'utf8');
  const gatherMs = deps.gatherMs ?? GATHER_MS;
  answerMetrics(bus, deps.instance, deps.metrics).catch((err: unknown) =>
    app.log.warn({ err }, 'not answering metrics gathers; the console misses this replica'),
  );

  // The page holds no data and no secret: everything it shows comes through /admin/ with the
  // token the operator types in (kept in the tab's sessionStorage).
  app.get('/console', (_request, reply) => reply.type('text/html; charset=utf-8').send(consoleHtml));

  void app.register(
    (admin, _options, done) => {
      admin.addHook('onRequest', (request, reply, next) => {
        if (bearerMatches(request.headers.authorization, expected)) return next();
        void reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="admin"')
          .send({ error: 'missing or wrong admin token' });
      });

      admin.get<{ Querystring: ListQuery }>(
        '/sagas',
        { schema: { querystring: listQuery } },
        async (request, reply) => {
          const { state, older_than_ms, limit, cursor } = request.query;
          const pageLimit = limit === undefined ? 100 : Number(limit);
          if (pageLimit > MAX_LIMIT)
            return reply.code(400).send({ error: `invalid limit: at most ${MAX_LIMIT}` });
          const now = Date.now();
          const page = await store.listSagas({
            limit: pageLimit,
            ...(state === undefined ? {} : { state }),
            ...(older_than_ms === undefined ? {} : { startedBefore: now - Number(older_than_ms) }),
            ...(cursor === undefined ? {} : { cursor }),
          });
          if (page === undefined)
            return reply.code(400).send({ error: 'invalid cursor: not from this listing' });
          return { sagas: page.sagas.map((saga) => sagaSummary(saga, now)), cursor: page.cursor ?? null };
        },
      );

      // Every replica's own figures; the console sums them (replica-metrics.ts says why there).
      admin.get('/metrics', async () => ({
        window_ms: gatherMs,
        replicas: await gatherMetrics(bus, gatherMs),
      }));

      admin.get<{ Params: { order_id: string } }>(
        '/sagas/:order_id',
        { schema: { params: orderParams } },
        async (request, reply) => {
          const orderId = request.params.order_id;
          const sagas = await store.sagasOfOrder(orderId);
          if (sagas === undefined) return reply.code(404).send({ error: 'order not found' });
          const views = await Promise.all(
            sagas.map((saga) => sagaView(saga, lookup, checkout.liveSteps(saga.sagaId))),
          );
          return { order_id: orderId, sagas: views };
        },
      );

      for (const action of ['retry', 'cancel'] as const) {
        admin.post<{ Params: { order_id: string } }>(
          `/sagas/:order_id/${action}`,
          { schema: { params: orderParams } },
          async (request, reply) => {
            const result: OperatorResult = await checkout.operator[action](request.params.order_id);
            switch (result.kind) {
              case 'order_not_found':
                return reply.code(404).send({ error: 'order not found' });
              case 'conflict': {
                const wanted = action === 'cancel' ? 'RUNNING' : 'RUNNING or ABORTING';
                const found = result.state === undefined ? 'it has none' : `its newest is ${result.state}`;
                return reply.code(409).send({ error: `no ${wanted} saga for this order: ${found}` });
              }
              case 'done':
                return reply.code(202).send({ action, saga: doneView(result.saga) });
            }
          },
        );
      }
      done();
    },
    { prefix: '/admin' },
  );
}
