/**
 * The Redis connection library (src/lib/redis.ts) against real servers: the durability
 * barrier (WAIT shared by concurrent writers, shortfalls, connections broken before WAIT
 * answered) and clients that find their master through Sentinel and follow a failover.
 * Uses the machine's Redis at REDIS_URL where a plain server does, private redis-server and
 * Sentinel processes (stopped by PID) where replicas or Sentinel are needed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/lib/config.js';
import { unavailableOf } from '../../src/lib/errors.js';
import { silentLog } from '../../src/lib/log.js';
import { OK } from '../../src/lib/outcome.js';
import {
  connectRedis,
  createDurability,
  deleteByPrefix,
  DurabilityLostError,
  DurabilityTimeoutError,
} from '../../src/lib/redis.js';
import { paymentKeys } from '../../src/services/payment/keys.js';
import { createRedisPaymentStore } from '../../src/services/payment/store.redis.js';
import { createRedisStockStore } from '../../src/services/stock/store.redis.js';
import { redisProcesses, replyEatingProxy, stop, testRedisUrl } from '../support/redis.js';

const ROOT = `t:${randomUUID()}:`;
const processes = redisProcesses();
let url = '';

beforeAll(async () => {
  url = await testRedisUrl(processes);
});

afterAll(async () => {
  const admin = client();
  await deleteByPrefix(admin, ROOT);
  admin.disconnect();
  await processes.stopAll();
});

/** A client as the services build it (auto-pipelining, re-send after reconnect). */
const noWait = (): Promise<void> => Promise.resolve();

function client(to = url): Redis {
  return connectRedis({ ...loadConfig().redis, url: to }, 'test', silentLog());
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

/** A private master with one replica, linked. */
async function replicated() {
  const master = await processes.server();
  const replica = await processes.server('--replicaof', '127.0.0.1', String(master.port));
  const replicaClient = new Redis(replica.url);
  const linked = async () =>
    expect(await replicaClient.info('replication')).toContain('master_link_status:up');
  await vi.waitFor(linked, { timeout: 10_000, interval: 100 });
  return { master, replica, replicaClient };
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

  it('never resolves short of replicas: re-WAITs, then rejects with DurabilityTimeoutError', async () => {
    const redis = client();
    const lines: string[] = [];
    await redis.ping();
    const durable = createDurability(redis, {
      replicas: 1,
      timeoutMs: 20,
      // Ample for a few WAITs of 20 ms even on a loaded machine.
      maxWaitMs: 2000,
      log: capturingLog(lines),
    });
    await expect(durable()).rejects.toBeInstanceOf(DurabilityTimeoutError);
    const { waits, shortfalls } = durable.stats();
    expect(waits).toBeGreaterThan(1);
    expect(shortfalls).toBe(waits);
    expect(lines.join('')).toContain('WAIT fell short');
    redis.disconnect();
  });

  it('shares one WAIT among callers that finished together, and one more among those during it', async () => {
    const redis = client();
    const wait = vi.spyOn(redis, 'wait');
    const durable = createDurability(redis, { replicas: 1, timeoutMs: 20, log: silentLog() });
    // Settled at once: under load the first WAIT may time out (20 ms) before waitFor returns,
    // and a rejection nobody listens to yet fails the run as an unhandled error.
    const first = Promise.allSettled(Array.from({ length: 50 }, () => durable()));
    // Once the first WAIT is out, newcomers must not ride on it: it may have been sent
    // before their writes.
    await vi.waitFor(() => expect(wait).toHaveBeenCalledTimes(1));
    const second = Promise.allSettled(Array.from({ length: 50 }, () => durable()));
    const settled = [...(await first), ...(await second)];
    // No replica: every caller is refused, none acknowledged.
    expect(settled.every((result) => result.status === 'rejected')).toBe(true);
    expect(wait).toHaveBeenCalledTimes(2);
    expect(durable.stats()).toEqual({ waits: 2, shortfalls: 2, lost: 0 });
    redis.disconnect();
  });

  it('rejects with DurabilityLostError when the connection broke before WAIT answered', async () => {
    const proxy = await replyEatingProxy(url);
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
    const { master, replica, replicaClient } = await replicated();
    const proxy = await replyEatingProxy(master.url);
    const redis = client(proxy.url);
    const wait = vi.spyOn(redis, 'wait');
    const durable = createDurability(redis, {
      replicas: 1,
      timeoutMs: 100,
      maxWaitMs: 60_000,
      log: silentLog(),
    });
    const store = createRedisStockStore(redis, { prefix: 's:', recordTtlMs: 60_000, durable });
    await store.createItem('i', 1);
    wait.mockClear();
    // The replica stalls: the WAIT after the add falls short, and is sent again and again.
    replica.child.kill('SIGSTOP');
    const adding = store.add('i', 5);
    await vi.waitFor(() => expect(wait.mock.calls.length).toBeGreaterThan(1));
    proxy.breakConnections();
    replica.child.kill('SIGCONT');
    expect(await adding).toEqual(OK);
    expect(durable.stats()).toMatchObject({ lost: 1 });
    expect(await store.findItem('i')).toEqual({ stock: 5, price: 1 });
    await vi.waitFor(async () => expect(await replicaClient.hget('s:item:i', 'stock')).toBe('5'));
    replicaClient.disconnect();
    await store.close();
    await proxy.close();
  });

  it('resolves once a write reached a real replica', async () => {
    const { master, replicaClient: replica } = await replicated();
    const redis = client(master.url);
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

describe('connectRedis', () => {
  it('connects again when ioredis gave up in the middle of a connect', async () => {
    const redis = client();
    const store = createRedisStockStore(redis, {
      prefix: `${ROOT}revive:`,
      recordTtlMs: 60_000,
      durable: noWait,
    });
    await store.createItem('i', 1);
    // What a Sentinel failover detector does to a connect in flight: it fails with
    // "Connection is closed." and ioredis ends the client for good.
    const { connector } = redis as unknown as {
      connector: { connect: (...args: unknown[]) => Promise<unknown> };
    };
    const connect = connector.connect.bind(connector);
    connector.connect = () => {
      connector.connect = connect;
      return Promise.reject(new Error('Connection is closed.'));
    };
    const ended = new Promise((resolve) => redis.once('end', resolve));
    redis.disconnect(true);
    await ended;
    expect(await store.add('i', 2)).toEqual(OK);
    expect(await store.findItem('i')).toEqual({ stock: 2, price: 1 });
    await store.close();
  });
});

describe('connectRedis through Sentinel', () => {
  it('finds the master by the service name and follows it through a failover', async () => {
    const { master, replicaClient } = await replicated();
    const sentinel = await processes.sentinel('stock', master.port);
    const config = { ...loadConfig().redis, sentinels: [{ host: '127.0.0.1', port: sentinel.port }] };
    // No masterName: the service name is the Sentinel master name.
    const redis = connectRedis({ ...config, masterName: undefined }, 'stock', silentLog());
    const store = createRedisPaymentStore(redis, {
      prefix: 'p:',
      recordTtlMs: 60_000,
      durable: createDurability(redis, { replicas: 1, timeoutMs: 1_000, log: silentLog() }),
    });
    await store.createUser('u');
    expect(await store.addFunds('u', 5)).toEqual(OK);
    expect(await replicaClient.get(paymentKeys('p:').user('u'))).toBe('5');

    await stop(master.child, 'SIGKILL');
    // Sentinel promotes the replica; the client follows it and its write lands there. The
    // new master has no replica: the write is not acknowledged (a 503 over HTTP).
    const error: unknown = await store.addFunds('u', 7).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(unavailableOf(error)).toBeDefined();
    expect(await replicaClient.get(paymentKeys('p:').user('u'))).toBe('12');
    expect(await replicaClient.info('replication')).toContain('role:master');
    replicaClient.disconnect();
    await store.close();
  });
});
