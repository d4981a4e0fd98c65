/**
 * The operator API (/admin/) through Fastify inject, on the whole system in-process (SQLite
 * stores in memory, the in-process bus): the token, the saga inspector with its step timeline
 * and the participants' records, listing by state and age, retry and cancel. The same store
 * behaviour on Redis is proven by the conformance suite (test/conformance/order-operator.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/lib/config.js';
import { startInProcess, type Drop, type InProcess } from '../support/in-process.js';

const TOKEN = 'test-admin-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const systems: InProcess[] = [];

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.close()));
});

async function system(env: Record<string, string> = {}, drop?: Drop) {
  const built = await startInProcess(
    {
      ADMIN_TOKEN: TOKEN,
      INSTANCE_ID: 'order-here',
      SAGA_LEASE_MS: '200',
      SAGA_ATTEMPT_MS: '20',
      SAGA_SWEEP_MS: '20',
      SAGA_DEADLINE_MS: '60000',
      ...env,
    },
    drop,
  );
  systems.push(built);
  const { app, stores } = built;
  const call = async (method: 'GET' | 'POST', url: string, headers: Record<string, string> = AUTH) => {
    const response = await app.inject({ method, url, headers });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
  };
  const inspect = async (orderId: string) => {
    const { status, body } = await call('GET', `/admin/sagas/${orderId}`);
    expect(status).toBe(200);
    return body['sagas'] as Record<string, unknown>[];
  };
  /** The order's newest saga, once it has reached `state`. */
  const newestOnce = async (orderId: string, state: string) => {
    await until(async () => (await inspect(orderId))[0]?.['state'] === state);
    return (await inspect(orderId))[0];
  };
  /** Item i (price 5, stock 10), user u (credit 100), and an order of u for 2 × i (10). */
  const shop = async (orderId = 'o1', credit = 100): Promise<string> => {
    await app.inject({ method: 'POST', url: '/stock/batch_init/1/10/5' });
    await app.inject({ method: 'POST', url: `/payment/batch_init/1/${credit}` });
    await stores.order.createOrder(orderId, '0');
    await stores.order.addItem(orderId, '0', 2, 5);
    return orderId;
  };
  return { app, stores, call, inspect, newestOnce, shop, beginAs: built.beginAs };
}

describe('admin API: access', () => {
  it('refuses every admin route without the bearer token or with a wrong one, and changes nothing', async () => {
    const s = await system();
    const orderId = await s.shop();
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-wrong-token' },
      { authorization: TOKEN },
    ]) {
      for (const [method, url] of [
        ['GET', '/admin/sagas'],
        ['GET', '/admin/metrics'],
        ['GET', `/admin/sagas/${orderId}`],
        ['POST', `/admin/sagas/${orderId}/retry`],
        ['POST', `/admin/sagas/${orderId}/cancel`],
      ] as const) {
        const response = await s.app.inject({ method, url, headers });
        expect(response.statusCode, `${method} ${url}`).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="admin"');
        expect(response.json()).toEqual({ error: 'missing or wrong admin token' });
      }
    }
  });

  it('has no admin routes and no console when ADMIN_TOKEN is not set', async () => {
    const s = await system({ ADMIN_TOKEN: '' });
    expect((await s.call('GET', '/admin/sagas')).status).toBe(404);
    expect((await s.call('GET', '/console')).status).toBe(404);
  });

  it('refuses a token shorter than 16 characters at start-up', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/at least 16/);
  });

  it('serves the console page, which holds no data', async () => {
    const s = await system();
    const response = await s.app.inject({ method: 'GET', url: '/console' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('Saga inspector');
  });
});

describe('admin API: the saga inspector', () => {
  it('shows a committed saga with its timeline and what stock and payment recorded', async () => {
    const s = await system();
    const orderId = await s.shop();
    expect((await s.app.inject({ method: 'POST', url: `/orders/checkout/${orderId}` })).statusCode).toBe(200);
    const [saga, ...older] = await s.inspect(orderId);
    expect(older).toEqual([]);
    expect(saga).toMatchObject({
      order_id: orderId,
      state: 'COMMITTED',
      reason: null,
      epoch: 1,
      owner: 'order-here',
      user_id: '0',
      amount: 10,
      owners: [{ epoch: 1, owner: 'order-here', by_operator: false }],
      transitions: [{ to: 'COMMITTED', epoch: 1, reason: null }],
      participants: { stock: 'applied', payment: 'applied' },
    });
    const steps = saga?.['steps'] as Record<string, unknown>[];
    expect(steps.map((x) => [x['step'], x['answer'], x['epoch']])).toEqual([
      ['reserve', 'ok', 1],
      ['charge', 'ok', 1],
    ]);
    // Re-sends happen only if a reply takes longer than SAGA_ATTEMPT_MS (the stuck case below).
    for (const step of steps) expect(Number.isInteger(step['resends'])).toBe(true);
    for (const step of steps) {
      expect(Date.parse(String(step['answered_at']))).toBeGreaterThanOrEqual(
        Date.parse(String(step['first_sent_at'])),
      );
    }
  });

  it('keeps an aborted saga with its compensation steps, newest saga first', async () => {
    const s = await system();
    const orderId = await s.shop('o1', 5);
    const refused = await s.app.inject({ method: 'POST', url: `/orders/checkout/${orderId}` });
    expect(refused.statusCode).toBe(400);
    await s.app.inject({ method: 'POST', url: '/payment/add_funds/0/100' });
    expect((await s.app.inject({ method: 'POST', url: `/orders/checkout/${orderId}` })).statusCode).toBe(200);
    const [newest, aborted] = await s.inspect(orderId);
    expect(newest).toMatchObject({ state: 'COMMITTED' });
    expect(aborted).toMatchObject({
      state: 'ABORTED',
      reason: 'insufficient_credit',
      transitions: [{ to: 'ABORTING', reason: 'insufficient_credit' }, { to: 'ABORTED' }],
      participants: { stock: 'released', payment: 'released' },
    });
    const steps = (aborted?.['steps'] as Record<string, unknown>[]).map((x) => [x['step'], x['answer']]);
    // Reserve may or may not have been answered before the refusal decided.
    expect(steps.filter(([step]) => step !== 'reserve')).toEqual([
      ['charge', 'insufficient_credit'],
      ['release', 'ok'],
      ['refund', 'ok'],
    ]);
  });

  it('shows a saga taken over from a dead owner: epoch 2, two owners', async () => {
    const s = await system();
    const orderId = await s.shop();
    // A replica began the checkout and died at once: its lease has expired, the sweeper claims it.
    await s.beginAs(orderId, 'dead-owners-saga', 'order-dead', Date.now() - 1);
    const saga = await s.newestOnce(orderId, 'COMMITTED');
    expect(saga).toMatchObject({
      saga_id: 'dead-owners-saga',
      state: 'COMMITTED',
      epoch: 2,
      owner: 'order-here',
      owners: [
        { epoch: 1, owner: 'order-dead', by_operator: false },
        { epoch: 2, owner: 'order-here', by_operator: false },
      ],
      transitions: [{ to: 'COMMITTED', epoch: 2 }],
      participants: { stock: 'applied', payment: 'applied' },
    });
    console.log(`GET /admin/sagas/${orderId} of a saga taken over:\n${JSON.stringify(saga, null, 2)}`);
  });

  it('answers 404 for an unknown order and 400 for a malformed id', async () => {
    const s = await system();
    expect(await s.call('GET', '/admin/sagas/nope')).toEqual({
      status: 404,
      body: { error: 'order not found' },
    });
    expect((await s.call('GET', '/admin/sagas/bad%20id')).status).toBe(400);
  });
});

/** Polls (bounded) until `done` holds. */
async function until(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await done()) return;
    await sleep(10);
  }
  throw new Error('condition not reached in 5 s');
}

describe('admin API: listing', () => {
  it('lists sagas by state and age, a page at a time, and refuses bad queries', async () => {
    const s = await system({}, (_to, command) => command.type === 'reserve');
    await s.app.inject({ method: 'POST', url: '/stock/batch_init/1/100/5' });
    await s.app.inject({ method: 'POST', url: '/payment/batch_init/1/1000' });
    const orders = ['a1', 'a2', 'a3'];
    const checkouts = [];
    for (const id of orders) {
      await s.stores.order.createOrder(id, '0');
      await s.stores.order.addItem(id, '0', 1, 5);
      // Stuck: stock never gets the reserve, the deadline is a minute away.
      checkouts.push(s.app.inject({ method: 'POST', url: `/orders/checkout/${id}` }));
    }
    await until(
      async () =>
        ((await s.call('GET', '/admin/sagas?state=RUNNING')).body['sagas'] as unknown[]).length === 3,
    );
    const seen: string[] = [];
    let cursor: unknown = undefined;
    for (let page = 0; page < 10; page++) {
      const query: string = `/admin/sagas?state=RUNNING&limit=2${typeof cursor === 'string' ? `&cursor=${cursor}` : ''}`;
      const { status, body } = await s.call('GET', query);
      expect(status).toBe(200);
      const sagas = body['sagas'] as Record<string, unknown>[];
      expect(sagas.length).toBeLessThanOrEqual(2);
      seen.push(...sagas.map((x) => String(x['order_id'])));
      cursor = body['cursor'];
      if (cursor === null) break;
    }
    expect(seen.sort()).toEqual(orders);
    expect((await s.call('GET', '/admin/sagas?state=RUNNING&older_than_ms=600000')).body).toEqual({
      sagas: [],
      cursor: null,
    });
    expect((await s.call('GET', '/admin/sagas?state=COMMITTED')).body).toEqual({ sagas: [], cursor: null });
    for (const bad of [
      'state=DONE',
      'limit=0',
      'limit=5000',
      'older_than_ms=-1',
      'cursor=nonsense',
      'cursor=%2F%2F',
    ]) {
      const { status, body } = await s.call('GET', `/admin/sagas?${bad}`);
      expect(status, bad).toBe(400);
      expect(typeof body['error'], bad).toBe('string');
    }
    // Cancelled, the stuck checkouts answer now, so closing the system has no saga to wait out.
    for (const id of orders) expect((await s.call('POST', `/admin/sagas/${id}/cancel`)).status).toBe(202);
    for (const answer of await Promise.all(checkouts)) expect(answer.statusCode).toBe(409);
  });
});

describe('admin API: retry and cancel', () => {
  it('cancels a stuck RUNNING saga: the waiting client gets a 4xx, and everything is given back', async () => {
    const s = await system({}, (_to, command) => command.type === 'reserve');
    const orderId = await s.shop();
    const checkout = s.app.inject({ method: 'POST', url: `/orders/checkout/${orderId}` });
    await until(async () => {
      const steps = ((await s.inspect(orderId))[0]?.['steps'] ?? []) as Record<string, unknown>[];
      return steps.some((x) => x['step'] === 'reserve' && Number(x['resends']) >= 2);
    });
    const [stuck] = await s.inspect(orderId);
    // Live steps of the owner's memory: reserve re-sent, charge answered.
    expect(stuck).toMatchObject({ state: 'RUNNING', participants: { stock: null, payment: 'applied' } });
    expect(stuck?.['steps']).toEqual(
      expect.arrayContaining([expect.objectContaining({ step: 'reserve', answer: null, live: true })]),
    );

    const cancel = await s.call('POST', `/admin/sagas/${orderId}/cancel`);
    expect(cancel).toMatchObject({
      status: 202,
      body: { action: 'cancel', saga: { state: 'ABORTING', reason: 'operator', epoch: 2 } },
    });
    const answer = await checkout;
    expect(answer.statusCode).toBe(409);
    expect(answer.json()).toEqual({ error: 'checkout was cancelled by an operator; nothing was charged' });
    const saga = await s.newestOnce(orderId, 'ABORTED');
    expect(saga).toMatchObject({
      state: 'ABORTED',
      reason: 'operator',
      epoch: 2,
      owners: [{ epoch: 1 }, { epoch: 2, by_operator: true }],
      participants: { stock: 'tombstone', payment: 'released' },
    });
    expect(await s.stores.payment.findCredit('0')).toBe(100);
    expect(await s.stores.stock.findItem('0')).toMatchObject({ stock: 10 });
    expect(await s.stores.order.findOrder(orderId)).toMatchObject({ paid: false });
    // Not RUNNING any more: a second cancel is a conflict and changes nothing.
    expect(await s.call('POST', `/admin/sagas/${orderId}/cancel`)).toEqual({
      status: 409,
      body: { error: 'no RUNNING saga for this order: its newest is ABORTED' },
    });
  });

  it('retries a saga whose owner still holds its lease: takes it over now and finishes it', async () => {
    const s = await system();
    const orderId = await s.shop();
    // An owner that hangs: its lease runs for another minute, nobody else would touch the saga.
    await s.beginAs(orderId, 'hung-saga', 'order-hung', Date.now() + 60_000);
    const retry = await s.call('POST', `/admin/sagas/${orderId}/retry`);
    expect(retry).toMatchObject({
      status: 202,
      body: { action: 'retry', saga: { state: 'RUNNING', epoch: 2, owner: 'order-here' } },
    });
    expect(await s.newestOnce(orderId, 'COMMITTED')).toMatchObject({
      owners: [{ owner: 'order-hung' }, { owner: 'order-here', by_operator: true }],
    });
    expect(await s.stores.order.findOrder(orderId)).toMatchObject({ paid: true });
    expect(await s.stores.payment.findCredit('0')).toBe(90);
    // Finished: nothing left to retry or cancel.
    expect((await s.call('POST', `/admin/sagas/${orderId}/retry`)).status).toBe(409);
    expect((await s.call('POST', `/admin/sagas/${orderId}/cancel`)).status).toBe(409);
  });

  it('answers 404 for an unknown order and 409 for an order without a saga', async () => {
    const s = await system();
    const orderId = await s.shop();
    expect((await s.call('POST', '/admin/sagas/nope/retry')).status).toBe(404);
    expect(await s.call('POST', `/admin/sagas/${orderId}/cancel`)).toEqual({
      status: 409,
      body: { error: 'no RUNNING saga for this order: it has none' },
    });
  });
});
