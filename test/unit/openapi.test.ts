/**
 * The OpenAPI document: a valid OpenAPI 3.1 document (swagger-parser) listing every benchmark
 * route, and a true one: every response the contract and bad-input suites get from the whole
 * system (in-process, SQLite, behind a recording proxy) has its status documented for its
 * route and a body that validates (Ajv, JSON Schema 2020-12) against the documented schema.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBus } from '../../src/bus/local.js';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { openSqliteOrderStore } from '../../src/services/order/store.sqlite.js';
import { openSqlitePaymentStore } from '../../src/services/payment/store.sqlite.js';
import { openSqliteStockStore } from '../../src/services/stock/store.sqlite.js';
import { buildAllServices, type AllServices } from '../../src/all-services.js';
import { describeBadInput } from '../suites/bad-input.js';
import { describeContract } from '../suites/contract.js';

interface Recorded {
  method: string;
  path: string;
  status: number;
  body: string;
}

interface Operation {
  parameters?: { in: string; name: string }[];
  responses: Record<string, { content?: { 'application/json'?: { schema: object } } }>;
}
type Paths = Record<string, Record<string, Operation>>;

/** The benchmark's routes (README "The API"), in OpenAPI's path syntax. */
const BENCHMARK_ROUTES = [
  'post /orders/create/{user_id}',
  'get /orders/find/{order_id}',
  'post /orders/addItem/{order_id}/{item_id}/{quantity}',
  'post /orders/checkout/{order_id}',
  'post /orders/batch_init/{n}/{n_items}/{n_users}/{item_price}',
  'get /stock/find/{item_id}',
  'post /stock/subtract/{item_id}/{amount}',
  'post /stock/add/{item_id}/{amount}',
  'post /stock/item/create/{price}',
  'post /stock/batch_init/{n}/{starting_stock}/{item_price}',
  'post /payment/pay/{user_id}/{amount}',
  'post /payment/add_funds/{user_id}/{amount}',
  'post /payment/create_user',
  'get /payment/find_user/{user_id}',
  'post /payment/batch_init/{n}/{starting_money}',
];

let system: AllServices;
let proxy: http.Server;
let proxyUrl = '';
const recorded: Recorded[] = [];

/** Forwards to the app and records each exchange. */
function recordingProxy(target: number): http.Server {
  return http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: target,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(body).toString('utf8');
            recorded.push({
              method: request.method ?? 'GET',
              path: (request.url ?? '/').split('?')[0] ?? '/',
              status: answer.statusCode ?? 0,
              body: text,
            });
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            response.end(text);
          });
        },
      );
      upstream.end(Buffer.concat(chunks));
    });
  });
}

beforeAll(async () => {
  const options = { recordTtlMs: 60_000 };
  system = await buildAllServices(
    {
      order: openSqliteOrderStore(':memory:', options),
      stock: openSqliteStockStore(':memory:', options),
      payment: openSqlitePaymentStore(':memory:', options),
    },
    createLocalBus({ commandTtlMs: 5000 }),
    loadConfig({}),
    silentLog(),
  );
  await system.app.listen({ port: 0, host: '127.0.0.1' });
  proxy = recordingProxy((system.app.server.address() as AddressInfo).port);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await system?.close();
});

describeContract('through the OpenAPI recorder', () => proxyUrl);
describeBadInput('through the OpenAPI recorder', () => proxyUrl);

describe('OpenAPI document', () => {
  async function document(): Promise<{ openapi: string; paths: Paths }> {
    const response = await system.app.inject('/openapi.json');
    expect(response.statusCode).toBe(200);
    return response.json();
  }

  it('is a valid OpenAPI 3.1 document with every benchmark route and its path parameters', async () => {
    const doc = await document();
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(doc) as never);
    for (const route of BENCHMARK_ROUTES) {
      const [method = '', path = ''] = route.split(' ');
      const operation = doc.paths[path]?.[method];
      expect(operation, route).toBeDefined();
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect((operation?.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)).toEqual(names);
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['200', '500', '503']));
    }
    expect(doc.paths['/metrics']).toBeUndefined();
  });

  it('catches a body that breaks the document (the check can fail)', async () => {
    const doc = await document();
    const ajv = new Ajv2020({ strict: false });
    const schema =
      doc.paths['/stock/find/{item_id}']?.['get']?.responses['200']?.content?.['application/json']?.schema;
    expect(schema).toBeDefined();
    const validate = ajv.compile(schema ?? {});
    expect(validate({ stock: 1, price: 2 })).toBe(true);
    expect(validate({ stock: '1', price: 2 })).toBe(false);
    expect(validate({ price: 2 })).toBe(false);
  });

  it('documents every status and body the contract and bad-input suites received', async () => {
    const doc = await document();
    const ajv = new Ajv2020({ strict: false });
    const routes = Object.entries(doc.paths).map(([path, operations]) => ({
      pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]*')}$`),
      operations,
    }));
    const statuses = new Set<number>();
    expect(recorded.length).toBeGreaterThan(100);
    for (const exchange of recorded) {
      const label = `${exchange.method} ${exchange.path} -> ${exchange.status}`;
      const operation = routes.find((r) => r.pattern.test(exchange.path))?.operations[
        exchange.method.toLowerCase()
      ];
      // No route (e.g. a path segment that is empty or too long): the not-found handler's body.
      const schema =
        operation === undefined
          ? { type: 'object', required: ['error'], properties: { error: { type: 'string' } } }
          : operation.responses[String(exchange.status)]?.content?.['application/json']?.schema;
      if (operation === undefined) expect(exchange.status, label).toBe(404);
      expect(schema, `${label}: status not documented`).toBeDefined();
      const validate = ajv.compile(schema ?? {});
      expect(validate(JSON.parse(exchange.body)), `${label}: ${exchange.body}`).toBe(true);
      statuses.add(exchange.status);
    }
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 404, 409]));
  });

  it('serves the interactive documentation at /docs', async () => {
    const page = await system.app.inject('/docs/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toMatch(/swagger-ui/i);
  });
});
