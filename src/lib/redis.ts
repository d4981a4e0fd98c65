/**
 * The one place that builds ioredis clients (STYLE.md §6): a connection per service, shared
 * by every request (auto-pipelined), a durability barrier (`WAIT`) shared by concurrent
 * writers, and the loader that turns `lua/<name>.lua` files into EVALSHA-backed commands.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import type { Log } from './log.js';

export type { Redis } from 'ioredis';

/**
 * Options verified on this machine (RECIPES.md). `autoResendUnfulfilledCommands` and the
 * offline queue re-send a command whose reply a broken connection swallowed: safe only
 * because every mutating script of ours can run twice without effect (see store.redis.ts).
 */
const CLIENT_OPTIONS = {
  enableAutoPipelining: true,
  enableOfflineQueue: true,
  autoResendUnfulfilledCommands: true,
  maxRetriesPerRequest: 20,
  connectTimeout: 2000,
  retryStrategy: (attempt: number) => Math.min(50 * attempt, 500),
  // 2: reconnect and re-send the failed command. A READONLY reply means we still talk to a
  // demoted master; the command did not run there, so re-sending it to the new master is safe.
  reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 2 : false),
} satisfies RedisOptions;

/**
 * A client for one service's Redis: through Sentinel when `sentinels` are configured (master
 * name defaults to the service name), else the plain URL. Never one connection per request.
 */
export function connectRedis(config: Config['redis'], serviceName: string, log: Log): Redis {
  const redis =
    config.sentinels.length > 0
      ? new Redis({
          ...CLIENT_OPTIONS,
          sentinels: config.sentinels,
          name: config.masterName ?? serviceName,
          sentinelRetryStrategy: (attempt) => Math.min(50 * attempt, 500),
          // Follows manual and partition failovers at once instead of at the next error.
          failoverDetector: true,
        })
      : new Redis(config.url, CLIENT_OPTIONS);
  // Without a listener ioredis prints every connection error; reconnects are routine here.
  redis.on('error', (error: Error) => log.warn({ err: error, service: serviceName }, 'redis error'));
  return redis;
}

/** Closes a client, waiting for replies still in flight; falls back to a hard disconnect. */
export async function closeRedis(redis: Redis): Promise<void> {
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
   * Rejects with DurabilityLostError when the connection broke meanwhile: write again.
   */
  (): Promise<void>;
  /** Counters for metrics: WAITs sent, those short of replicas, batches lost to a reconnect. */
  stats(): { waits: number; shortfalls: number; lost: number };
}

export interface DurabilityOptions {
  /** Replicas each write must reach; 0 turns the barrier off (no WAIT is ever sent). */
  replicas: number;
  timeoutMs: number;
  log: Log;
}

/**
 * The connection broke between a write and its WAIT: that WAIT (re-sent on the new connection)
 * says nothing about the write, which may be lost with a failed master. Writes are idempotent,
 * so the answer is to run the write again and wait again (see `durably`).
 */
export class DurabilityLostError extends Error {
  constructor() {
    super('connection to Redis broke before WAIT confirmed the writes');
    this.name = 'DurabilityLostError';
  }
}

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Connection closes seen when the batch opened: its writes were made on that connection. */
  closes: number;
}

/**
 * A durability barrier that coalesces concurrent callers into one `WAIT replicas timeoutMs`
 * per batch: one WAIT per call costs ~80 % of throughput, one per batch ~15 % (RECIPES.md).
 *
 * A WAIT covers every earlier write on the same connection. Callers arrive after their script
 * answered, so all callers gathered before the WAIT is sent share it; the batch is sent on the
 * next turn of the event loop so a whole chunk of replies joins it. Callers arriving while a
 * WAIT is in flight wait for the next one, sent as soon as the current one returns.
 *
 * When WAIT reaches fewer replicas than asked, the barrier logs, counts and resolves anyway:
 * with `min-replicas-to-write` the master already refuses writes when no replica is connected,
 * so a shortfall means a replica is slow or just failing over; the write is on the master (and
 * its AOF), and answering 5xx for a write that did happen would be worse than acknowledging it.
 * A connection that closed after the batch opened is different: the WAIT proves nothing, so
 * the batch rejects with DurabilityLostError and its callers write again.
 */
export function createDurability(redis: Redis, options: DurabilityOptions): Durability {
  const { replicas, timeoutMs, log } = options;
  let waits = 0;
  let shortfalls = 0;
  let lost = 0;
  let closes = 0;
  let open: Batch | undefined;
  let inFlight = false;
  if (replicas > 0) redis.on('close', () => (closes += 1));

  const settle = (batch: Batch, reached: number): void => {
    if (closes !== batch.closes) {
      lost += 1;
      batch.reject(new DurabilityLostError());
      return;
    }
    if (reached < replicas) {
      shortfalls += 1;
      log.warn({ reached, replicas, timeoutMs }, 'redis WAIT reached fewer replicas than asked');
    }
    batch.resolve();
  };

  const flush = (): void => {
    const batch = open;
    open = undefined;
    if (batch === undefined) return;
    inFlight = true;
    waits += 1;
    redis.wait(replicas, timeoutMs).then(
      (reached) => settle(batch, reached),
      (error: unknown) => batch.reject(error),
    );
    // Both branches above settle the batch; start the next one only after that.
    void batch.promise
      .catch(() => undefined)
      .then(() => {
        inFlight = false;
        flush();
      });
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
      open = { promise, resolve, reject, closes };
      if (!inFlight) setImmediate(flush);
    }
    return open.promise;
  };
  return Object.assign(durable, { stats: () => ({ waits, shortfalls, lost }) });
}

/** Attempts of one write whose durability a broken connection left unknown. */
const DURABLE_ATTEMPTS = 3;

/**
 * Runs `write`, then the durability barrier; if the barrier fails (the connection broke before
 * WAIT confirmed, or WAIT itself failed), runs the very same write again (same op id / saga id,
 * so it applies at most once: the second run finds the record of the first unless the first
 * was lost with its master) and waits again. Answers what the last run answered.
 * `wrote(result)` false skips the barrier for answers that changed nothing (a paid order).
 */
export async function durably<T>(
  durable: () => Promise<void>,
  write: () => Promise<T>,
  wrote: (result: T) => boolean = () => true,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const result = await write();
    if (!wrote(result)) return result;
    try {
      await durable();
      return result;
    } catch (error) {
      if (attempt >= DURABLE_ATTEMPTS) throw error;
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
}

/**
 * How long the outcome of a mutating call without client op id is kept: as long as that very
 * command may still run again. ioredis holds an unanswered command through at most
 * `maxRetriesPerRequest` (20) reconnects of <= 0.5 s wait + 2 s connect timeout (~50 s), and
 * `durably` runs a write at most 3 times: ~150 s at worst. Every call leaves a ~100-byte key
 * for this long (20k calls/s -> ~400 MB), so not much longer.
 */
export const CALL_RECORD_TTL_MS = 3 * 60_000;

/** A fresh id for one call's record: 96 random bits, short to keep the record small. */
export function callId(): string {
  return randomBytes(12).toString('base64url');
}

/** Keys per bulk write (batch_init): a few ms of server time each, so nobody waits long behind it. */
export const BATCH_CHUNK = 5000;

/** A Lua script registered with `defineCommand`: KEYS and ARGV, reply as Redis sent it. */
export type Script = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

type ScriptCommand = (this: Redis, numKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

/**
 * Reads `<dir>/<name>.lua` for each name and registers it on the client as `<namespace>_<name>`
 * (ioredis sends EVALSHA, and EVAL once per connection or after NOSCRIPT). Files are read once
 * at start-up; `dir` is `new URL('./lua/', import.meta.url)` of the store module, and the build
 * copies the .lua files next to the compiled module.
 */
export function defineScripts<Name extends string>(
  redis: Redis,
  dir: URL,
  namespace: string,
  names: readonly Name[],
): Record<Name, Script> {
  const scripts = {} as Record<Name, Script>;
  for (const name of names) {
    const command = `${namespace}_${name}`;
    redis.defineCommand(command, { lua: readFileSync(new URL(`${name}.lua`, dir), 'utf8') });
    // defineCommand adds an untyped method to the instance; look it up once here.
    const method = (redis as unknown as Record<string, ScriptCommand | undefined>)[command];
    if (method === undefined) throw new Error(`ioredis did not define ${command}`);
    scripts[name] = (keys, args) => method.call(redis, keys.length, ...keys, ...args);
  }
  return scripts;
}

/** Narrows a script reply that must be a status string ('ok' or a Reason). */
export function statusOf(reply: unknown): string {
  if (typeof reply !== 'string')
    throw new Error(`script returned ${JSON.stringify(reply)}, expected a status`);
  return reply;
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
