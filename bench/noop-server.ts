/**
 * The ceiling (docs/performance.md, Method): the same Fastify shell as every service (src/lib/http.ts),
 * with the same checkout route and its schema-checked path, but a handler that does nothing.
 * What the benchmark reaches against it is the best any design can do on this machine.
 *
 * node --import tsx bench/noop-server.ts PORT  (0 picks a free port) — prints `ready URL`.
 */
import { ID, addHealthRoutes, buildHttp } from '../src/lib/http.js';
import { onShutdown } from '../src/lib/lifecycle.js';
import { createLog } from '../src/lib/log.js';

const log = createLog('warn', 'noop');
const app = await buildHttp(log);
addHealthRoutes(app, () => Promise.resolve(true));
const params = { type: 'object', required: ['order_id'], properties: { order_id: ID } } as const;
app.post<{ Params: { order_id: string } }>('/orders/checkout/:order_id', { schema: { params } }, () =>
  Promise.resolve({ msg: 'Checkout successful' }),
);
onShutdown(log, [() => app.close()]);
await app.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
process.stdout.write(`ready http://127.0.0.1:${port}\n`);
