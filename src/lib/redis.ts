/**
 * The one place that builds ioredis clients (docs/architecture.md, Redis): a connection per service, shared
 * by every request (auto-pipelined) and kept alive through failovers, and the durability
 * barrier (`WAIT`) shared by concurrent writers. The stores' script plumbing is in
 * redis-scripts.ts.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { isConnectionError, Unavailable } from './errors.js';
import type { Config } from './config.js';
import type { Log } from './log.js';
import type { RedisMetrics } from './metrics.js';
import { backoff } from './retry.js';

export type { Redis } from 'ioredis';

/**
 * Options verified on this machine (docs/architecture.md). `autoResendUnfulfilledCommands` and the
 * offline queue re-send a command whose reply a broken connection swallowed: safe only
 * because every mutating script of ours can run twice without effect (see store.redis.ts).
 */
const CLIENT_OPTIONS = {
  enableAutoPipelining: true,
  enableOfflineQueue: true,
  autoResendUnfulfilledCommands: true,
  maxRetriesPerRequest: 20,
  connectTimeout: 2000,
  retryStrategy: (attempt: number) => backoff(attempt - 1, { baseMs: 50, maxMs: 500 }),
  // 2: reconnect and re-send the failed command. A READONLY reply means we still talk to a
  // demoted master; the command did not run there, so re-sending it to the new master is safe.
  reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 2 : false),
} satisfies RedisOptions;

/**
 * A client for one service's Redis: through Sentinel when `sentinels` are configured (master
 * name defaults to the service name), else the plain URL. Never one connection per request.
 */
export function connectRedis(config: Config['redis'], serviceName: string, log: Log): Redis {
  // The name shows in CLIENT LIST, so an operator can tell the services' connections apart.
  // Credentials only when configured: an ACL user of the service's own (README, deployment).
  const { username, password, sentinelUsername, sentinelPassword } = config;
  const options = {
    ...CLIENT_OPTIONS,
    connectionName: serviceName,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
  const redis =
    config.sentinels.length > 0
      ? new Redis({
          ...options,
          sentinels: config.sentinels,
          name: config.masterName ?? serviceName,
          ...(sentinelUsername === undefined ? {} : { sentinelUsername }),
          ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
          sentinelRetryStrategy: (attempt) => Math.min(50 * attempt, 500),
          // Follows manual and partition failovers at once instead of at the next error.
          failoverDetector: true,
        })
      : new Redis(config.url, options);
  // Without a listener ioredis prints every connection error; reconnects are routine here.
  redis.on('error', (error: Error) => log.warn({ err: error, service: serviceName }, 'redis error'));
  reviveAfterFailedConnect(redis, serviceName, log);
  return redis;
}

/** Clients being closed on purpose (closeRedis): those must stay closed. */
const closing = new WeakSet<Redis>();

/**
 * ioredis gives up for good ('end', every later command: "Connection is closed.") when a
 * connect attempt is cut short: with Sentinel, the failover detector disconnects on
 * +switch-master while a reconnect is still asking a Sentinel for the master, which happened
 * in ~1 of 10 test failovers on a loaded machine. A service must never lose its store over a
 * failover, so such a client connects again; only closeRedis ends a client for good.
 */
function reviveAfterFailedConnect(redis: Redis, serviceName: string, log: Log): void {
  let previous = '';
  for (const status of ['connecting', 'connect', 'ready', 'close', 'reconnecting'] as const) {
    redis.on(status, () => (previous = status));
  }
  redis.on('end', () => {
    // A client that was connected ends through 'close': that is a deliberate disconnect.
    if (closing.has(redis) || previous !== 'connecting') return;
    log.error({ service: serviceName }, 'redis client gave up while connecting; connecting again');
    setTimeout(() => {
      if (!closing.has(redis) && redis.status === 'end') redis.connect().catch(() => undefined);
    }, 50);
  });
}

/** Closes a client, waiting for replies still in flight; falls back to a hard disconnect. */
export async function closeRedis(redis: Redis): Promise<void> {
  closing.add(redis);
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

export interface Durability {
  /**
   * Resolves once every write this connection made before the call reached the replicas.
   * Rejects with DurabilityLostError when the connection broke meanwhile (write again), and
   * with DurabilityTimeoutError when the replicas did not confirm within `maxWaitMs`.
   */
  (): Promise<void>;
  /** Counters for metrics: WAITs sent, those short of replicas, batches lost to a reconnect. */
  stats(): { waits: number; shortfalls: number; lost: number };
}

export interface DurabilityOptions {
  /** Replicas each write must reach; 0 turns the barrier off (no WAIT is ever sent). */
  replicas: number;
  /** Timeout of one WAIT. */
  timeoutMs: number;
  /** How long a batch keeps re-sending WAIT while replicas fall short; default `timeoutMs`. */
  maxWaitMs?: number;
  log: Log;
  /** Observes each WAIT's latency. */
  metrics?: RedisMetrics;
}

/**
 * The connection broke between a write and its WAIT: that WAIT (re-sent on the new connection)
 * says nothing about the write, which may be lost with a failed master. Writes are idempotent,
 * so the answer is to run the write again and wait again (see `durably`).
 */
export class DurabilityLostError extends Unavailable {
  constructor() {
    super('connection to the store broke before its replicas confirmed the write', 1);
    this.name = 'DurabilityLostError';
  }
}

/**
 * The replicas did not confirm a write within the barrier's `maxWaitMs`. The write is on the
 * master and may yet reach a replica, or be lost with the master: it is not acknowledged.
 * A client sends it again (with the same Idempotency-Key it applies at most once); a
 * participant does not reply, so the saga re-sends the command.
 */
export class DurabilityTimeoutError extends Unavailable {
  constructor(maxWaitMs: number) {
    super(`store replicas did not confirm the write within ${maxWaitMs} ms`, 2);
    this.name = 'DurabilityTimeoutError';
  }
}

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Connection closes seen when the batch opened: its writes were made on that connection. */
  closes: number;
  /** When its first WAIT was sent (performance.now()): re-WAITs stop `maxWaitMs` after it. */
  sentAt: number;
}

/**
 * A durability barrier that coalesces concurrent callers into one `WAIT replicas timeoutMs`
 * per batch: one WAIT per call costs ~80 % of throughput, one per batch ~15 % (measured here).
 *
 * A WAIT covers every earlier write on the same connection, answered or not. Callers join
 * the open batch just BEFORE they send their write (see `durably`), and the batch's WAIT is
 * sent at the next `setImmediate`, so every write of the batch precedes it. That immediate
 * runs before ioredis's own auto-pipeline flush, scheduled by the write that followed: the
 * WAIT goes out in the same socket write as the scripts, one round trip for both. Under load
 * ioredis keeps one pipeline in flight and queues the next; each loop turn's WAIT joins the
 * queued pipeline behind that turn's scripts, so batches grow with Redis's reply time.
 *
 * No write is acknowledged before a replica has it. When WAIT reaches fewer replicas than
 * asked, the barrier logs, counts and sends WAIT again (covering the same writes and any
 * later ones of the connection), until the replicas confirm or `maxWaitMs` after the first
 * WAIT: then the batch rejects with DurabilityTimeoutError (HTTP 503 with Retry-After; a
 * participant does not reply and the saga re-sends). Acknowledging a write only the master
 * holds would lose it with that master: an acknowledged add_funds gone, or a checkout's
 * record gone while its charge stays (issue 11.1).
 * A connection that closed after the batch opened is different: the WAIT proves nothing (the
 * master may have failed over), so the batch rejects with DurabilityLostError and `durably`
 * runs its writes again on the new master.
 */
export function createDurability(redis: Redis, options: DurabilityOptions): Durability {
  const { replicas, timeoutMs, log, metrics } = options;
  const maxWaitMs = options.maxWaitMs ?? timeoutMs;
  let waits = 0;
  let shortfalls = 0;
  let lost = 0;
  let closes = 0;
  let open: Batch | undefined;
  if (replicas > 0) redis.on('close', () => (closes += 1));

  const settle = (batch: Batch, reached: number, startedAt: number): void => {
    metrics?.waited((performance.now() - startedAt) / 1000);
    if (closes !== batch.closes) {
      lost += 1;
      batch.reject(new DurabilityLostError());
      return;
    }
    if (reached >= replicas) {
      batch.resolve();
      return;
    }
    shortfalls += 1;
    const left = batch.sentAt + maxWaitMs - performance.now();
    log.warn({ reached, replicas, timeoutMs, left_ms: Math.round(left) }, 'redis WAIT fell short');
    if (left <= 0) {
      batch.reject(new DurabilityTimeoutError(maxWaitMs));
      return;
    }
    send(batch, Math.max(1, Math.min(timeoutMs, Math.ceil(left))));
  };

  /** One WAIT for the batch's writes; a shortfall sends the next one (see `settle`). */
  const send = (batch: Batch, waitMs: number): void => {
    waits += 1;
    const startedAt = performance.now();
    redis.wait(replicas, waitMs).then(
      (reached) => settle(batch, reached, startedAt),
      // A WAIT that shared its pipeline with the writes fails with them when the connection
      // drops, instead of being re-sent: the same loss, counted the same way.
      (error: unknown) => (closes !== batch.closes ? settle(batch, 0, startedAt) : batch.reject(error)),
    );
  };

  const flush = (): void => {
    const batch = open;
    open = undefined;
    if (batch === undefined) return;
    batch.sentAt = performance.now();
    send(batch, Math.min(timeoutMs, maxWaitMs));
  };

  const durable = (): Promise<void> => {
    if (replicas === 0) return Promise.resolve();
    if (open === undefined) {
      let resolve: () => void = () => undefined;
      let reject: (error: unknown) => void = () => undefined;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      open = { promise, resolve, reject, closes, sentAt: 0 };
      setImmediate(flush);
    }
    return open.promise;
  };
  return Object.assign(durable, { stats: () => ({ waits, shortfalls, lost }) });
}

/** Attempts of one write whose durability a broken connection left unknown. */
const DURABLE_ATTEMPTS = 3;

/**
 * Runs `write` under the durability barrier (joined first, so its WAIT follows the write in
 * the same round trip). If the barrier fails (the connection broke before
 * WAIT confirmed, or WAIT itself failed) or the write failed with a connection error, runs the
 * very same write again (same op id / call id / saga id, so it applies at most once: a re-run
 * finds the record of the first run unless that was lost with its master, and then applies it
 * on the new master) and waits again. Answers what the last run answered. A barrier that timed
 * out (DurabilityTimeoutError) is not retried here: it already waited its bound. `wrote(result)`
 * false skips the barrier for answers that changed nothing (a paid order).
 */
export async function durably<T>(
  durable: () => Promise<void>,
  write: () => Promise<T>,
  wrote: (result: T) => boolean = () => true,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    // Join the barrier BEFORE writing: its WAIT then leaves in the same auto-pipelined socket
    // write as the script, right behind it (a WAIT covers the earlier writes of its
    // connection, sent or answered), so a durable step costs one round trip to Redis, not two.
    const barrier = durable();
    barrier.catch(() => undefined); // awaited below unless the write fails or changed nothing
    let result: T;
    try {
      result = await write();
    } catch (error) {
      if (attempt >= DURABLE_ATTEMPTS || !isConnectionError(error)) throw error;
      // ioredis already waited through its reconnects; give a revived client a moment.
      await sleep(backoff(attempt - 1, { baseMs: 100, maxMs: 1000 }));
      continue;
    }
    if (!wrote(result)) return result;
    try {
      await barrier;
      return result;
    } catch (error) {
      if (attempt >= DURABLE_ATTEMPTS || error instanceof DurabilityTimeoutError) throw error;
    }
  }
}

/** What every Redis store factory takes besides the client. */
export interface RedisStoreOptions {
  /** Prefix of every key (e.g. `stock:`), so stores can share a Redis. */
  prefix: string;
  /** How long saga records, tombstones and client op ids are remembered. */
  recordTtlMs: number;
  /** The durability barrier (createDurability) awaited after every mutation (see `durably`). */
  durable: () => Promise<void>;
  /** Observes each Lua script call's latency. */
  metrics?: RedisMetrics;
}

/** Deletes every key under `prefix` (SCAN + UNLINK, never KEYS): for tests and batch tools. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
