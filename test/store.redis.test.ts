/**
 * The Redis stores against a real Redis: the shared conformance suites (the same ones the
 * SQLite stores pass), commands re-sent as ioredis does after a reconnect, and the durability
 * barrier. Uses the machine's Redis at REDIS_URL, each store under a unique key prefix deleted
 * afterwards; if none answers, a private redis-server started here and stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/lib/config.js';
import { OK } from '../src/lib/outcome.js';
import { silentLog } from '../src/lib/log.js';
import { connectRedis, createDurability, deleteByPrefix, DurabilityLostError } from '../src/lib/redis.js';
import { createRedisOrderStore } from '../src/services/order/store.redis.js';
import { paymentKeys } from '../src/services/payment/keys.js';
import { createRedisPaymentStore } from '../src/services/payment/store.redis.js';
import { createRedisStockStore } from '../src/services/stock/store.redis.js';
import type { StoreOptions } from './conformance/harness.js';
import { describeOrderStore } from './conformance/order.js';
import { describePaymentStore } from './conformance/payment.js';
import { describeStockStore } from './conformance/stock.js';

/** Every key this file writes starts with this, so afterAll can delete them all. */
const ROOT = `t:${randomUUID()}:`;
const started: ChildProcess[] = [];
const dirs: string[] = [];
let url = loadConfig().redis.url;
let admin: Redis;

async function answers(candidate: string): Promise<boolean> {
  const probe = new Redis(candidate, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A throwaway redis-server on a free port, without persistence; stopped in afterAll. */
async function startRedis(...extra: string[]): Promise<string> {
  const port = await freePort();
  // A replica writes the RDB it receives to its dir: keep that out of the work tree.
  const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
  dirs.push(dir);
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  started.push(child);
  const candidate = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await answers(candidate)) return candidate;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on ${port} did not start`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  if (!(await answers(url))) url = await startRedis();
  admin = new Redis(url);
});

afterAll(async () => {
  await deleteByPrefix(admin, ROOT);
  admin.disconnect();
  await Promise.all(started.map((child) => stop(child)));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A client as the services build it (auto-pipelining, re-send after reconnect). */
function client(to = url): Redis {
  return connectRedis({ ...loadConfig().redis, url: to }, 'test', silentLog());
}

const noWait = (): Promise<void> => Promise.resolve();

function storeOptions({ recordTtlMs }: StoreOptions, service: string) {
  return { prefix: `${ROOT}${randomUUID()}:${service}:`, recordTtlMs, durable: noWait };
}

describeStockStore('redis', (options) =>
  Promise.resolve(createRedisStockStore(client(), storeOptions(options, 'stock'))),
);
describePaymentStore('redis', (options) =>
  Promise.resolve(createRedisPaymentStore(client(), storeOptions(options, 'payment'))),
);
describeOrderStore('redis', (options) =>
  Promise.resolve(createRedisOrderStore(client(), storeOptions(options, 'order'))),
);

type Method = (...args: unknown[]) => unknown;

/**
 * A client on which every call of the script commands `names` runs twice with the same
 * arguments, answering the second reply: what ioredis does when a connection breaks after
 * Redis ran a command but before its reply arrived.
 */
function resendingClient(...names: string[]): Redis {
  const redis = client();
  return new Proxy(redis, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !names.includes(property) || typeof value !== 'function')
        return value;
      const method = value as Method;
      return async (...args: unknown[]) => {
        await method.apply(target, args);
        return method.apply(target, args);
      };
    },
  });
}

describe('redis stores under re-sent commands', () => {
  const options = (service: string) => storeOptions({ recordTtlMs: 60_000 }, service);

  it('applies a re-sent add or subtract without op id once', async () => {
    const store = createRedisStockStore(resendingClient('stock_add', 'stock_subtract'), options('stock'));
    await store.createItem('i', 5);
    expect(await store.add('i', 10)).toEqual(OK);
    expect(await store.subtract('i', 4)).toEqual(OK);
    expect(await store.findItem('i')).toEqual({ stock: 6, price: 5 });
    await store.close();
  });

  it('applies a re-sent addFunds or pay without op id once', async () => {
    const store = createRedisPaymentStore(
      resendingClient('payment_add_funds', 'payment_pay'),
      options('payment'),
    );
    await store.createUser('u');
    expect(await store.addFunds('u', 10)).toEqual(OK);
    expect(await store.pay('u', 3)).toEqual(OK);
    expect(await store.findCredit('u')).toBe(7);
    await store.close();
  });

  it('appends a re-sent addItem once', async () => {
    const store = createRedisOrderStore(resendingClient('order_add_item'), options('order'));
    await store.createOrder('o', 'u');
    expect(await store.addItem('o', 'i', 2, 3)).toEqual(OK);
    expect(await store.findOrder('o')).toMatchObject({ items: [['i', 2]], totalCost: 6 });
    await store.close();
  });

  it('keeps the epoch of a re-sent takeOver and answers it with the saga', async () => {
    const store = createRedisOrderStore(resendingClient('order_take_over'), options('order'));
    await store.createOrder('o', 'u');
    await store.beginCheckout('o', { sagaId: 's', owner: 'a', leaseUntil: 1_000, deadline: 5_000 });
    expect(await store.takeOver('s', 'b', 2_000, 3_000)).toMatchObject({
      epoch: 2,
      owner: 'b',
      leaseUntil: 3_000,
    });
    expect(await store.findSaga('s')).toMatchObject({ epoch: 2 });
    await store.close();
  });

  it('applies adds once when Redis ran them but the connection broke before the replies', async () => {
    const proxy = await replyEatingProxy(new URL(url));
    const shared = options('stock');
    const store = createRedisStockStore(client(proxy.url), shared);
    await store.createItem('i', 1);
    proxy.eatReplies = true;
    const adds = Array.from({ length: 2000 }, () => store.add('i', 1));
    const reader = createRedisStockStore(client(), shared);
    await vi.waitFor(async () => expect(await reader.findItem('i')).toEqual({ stock: 2000, price: 1 }));
    // All ran, no reply arrived: ioredis reconnects and re-sends every one of them.
    proxy.eatReplies = false;
    proxy.breakConnections();
    expect((await Promise.all(adds)).every((outcome) => outcome.ok)).toBe(true);
    expect(await reader.findItem('i')).toEqual({ stock: 2000, price: 1 });
    await Promise.all([store.close(), reader.close(), proxy.close()]);
  });
});

/**
 * A TCP proxy to Redis that can swallow Redis' replies and break its connections: the failure
 * after which a command ran but its caller cannot know.
 */
async function replyEatingProxy(target: URL) {
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.pipe(upstream);
    upstream.on('data', (data: Buffer) => {
      if (!proxy.eatReplies) downstream.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const proxy = {
    url: `redis://127.0.0.1:${address.port}`,
    eatReplies: false,
    breakConnections: () => sockets.forEach((socket) => socket.destroy()),
    close: () => {
      proxy.breakConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

/** A pino logger whose warnings land in `lines`. */
function capturingLog(lines: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return pino({ level: 'warn' }, sink);
}

describe('durability barrier', () => {
  it('sends no WAIT when no replica is asked for', async () => {
    const redis = client();
    const wait = vi.spyOn(redis, 'wait');
    const durable = createDurability(redis, { replicas: 0, timeoutMs: 10, log: silentLog() });
    await Promise.all([durable(), durable()]);
    expect(wait).not.toHaveBeenCalled();
    expect(durable.stats()).toEqual({ waits: 0, shortfalls: 0, lost: 0 });
    redis.disconnect();
  });

  it('logs and counts a shortfall, and still resolves, when no replica answers in time', async () => {
    const redis = client();
    const lines: string[] = [];
    const durable = createDurability(redis, { replicas: 1, timeoutMs: 5, log: capturingLog(lines) });
    await durable();
    expect(durable.stats()).toEqual({ waits: 1, shortfalls: 1, lost: 0 });
    expect(lines.join('')).toContain('fewer replicas');
    redis.disconnect();
  });

  it('shares one WAIT among callers that finished together, and one more among those during it', async () => {
    const redis = client();
    const wait = vi.spyOn(redis, 'wait');
    const durable = createDurability(redis, { replicas: 1, timeoutMs: 20, log: silentLog() });
    const first = Array.from({ length: 50 }, () => durable());
    // Once the first WAIT is out, newcomers must not ride on it: it may have been sent
    // before their writes.
    await vi.waitFor(() => expect(wait).toHaveBeenCalledTimes(1));
    const second = Array.from({ length: 50 }, () => durable());
    await Promise.all([...first, ...second]);
    expect(wait).toHaveBeenCalledTimes(2);
    expect(durable.stats()).toEqual({ waits: 2, shortfalls: 2, lost: 0 });
    redis.disconnect();
  });

  it('rejects with DurabilityLostError when the connection broke before WAIT answered', async () => {
    const proxy = await replyEatingProxy(new URL(url));
    const redis = client(proxy.url);
    const wait = vi.spyOn(redis, 'wait');
    const durable = createDurability(redis, { replicas: 1, timeoutMs: 300, log: silentLog() });
    const waiting = durable();
    await vi.waitFor(() => expect(wait).toHaveBeenCalledTimes(1));
    await sleep(50);
    // ioredis re-sends the WAIT on the new connection, where it covers none of the writes.
    proxy.breakConnections();
    await expect(waiting).rejects.toBeInstanceOf(DurabilityLostError);
    expect(durable.stats()).toMatchObject({ lost: 1 });
    redis.disconnect();
    await proxy.close();
  });

  it('runs a write again, applying it once, when the connection broke before its WAIT answered', async () => {
    const proxy = await replyEatingProxy(new URL(url));
    const redis = client(proxy.url);
    const wait = vi.spyOn(redis, 'wait');
    const durable = createDurability(redis, { replicas: 1, timeoutMs: 300, log: silentLog() });
    const store = createRedisStockStore(redis, {
      ...storeOptions({ recordTtlMs: 60_000 }, 'stock'),
      durable,
    });
    await store.createItem('i', 1);
    wait.mockClear();
    const adding = store.add('i', 5);
    await vi.waitFor(() => expect(wait).toHaveBeenCalledTimes(1));
    await sleep(50);
    proxy.breakConnections();
    expect(await adding).toEqual(OK);
    expect(durable.stats()).toMatchObject({ lost: 1 });
    expect(await store.findItem('i')).toEqual({ stock: 5, price: 1 });
    await store.close();
    await proxy.close();
  });

  it('resolves once a write reached a real replica', async () => {
    const masterUrl = await startRedis('--repl-diskless-sync-delay', '0');
    const replicaUrl = await startRedis('--replicaof', '127.0.0.1', new URL(masterUrl).port);
    const replica = new Redis(replicaUrl);
    const linked = async () => expect(await replica.info('replication')).toContain('master_link_status:up');
    await vi.waitFor(linked, { timeout: 10_000, interval: 100 });
    const redis = connectRedis({ ...loadConfig().redis, url: masterUrl }, 'test', silentLog());
    const durable = createDurability(redis, { replicas: 1, timeoutMs: 5_000, log: silentLog() });
    const store = createRedisPaymentStore(redis, { prefix: 'p:', recordTtlMs: 60_000, durable });
    await store.createUser('u');
    expect(await store.addFunds('u', 42)).toEqual(OK);
    expect(await replica.get(paymentKeys('p:').user('u'))).toBe('42');
    expect(durable.stats()).toMatchObject({ shortfalls: 0 });
    replica.disconnect();
    await store.close();
  });
});
