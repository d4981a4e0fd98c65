/**
 * What the three Redis stores share: the loader that turns `lua/<name>.lua` files into
 * EVALSHA-backed commands, and the records that let a write without client op id run twice.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { locate, resolveLua } from './lua-includes.js';
import type { RedisMetrics } from './metrics.js';
import { outcomeOf, type Created } from './outcome.js';
import type { Redis } from './redis.js';

/**
 * How long the outcome of a mutating call without client op id is kept: as long as that very
 * command may still run again. ioredis holds an unanswered command through at most
 * `maxRetriesPerRequest` (20) reconnects of <= 0.5 s wait + 2 s connect timeout (~50 s), and
 * `durably` runs a write at most 3 times: ~150 s at worst. Every call leaves a ~100-byte key
 * for this long (20k calls/s -> ~400 MB), so not much longer.
 */
export const CALL_RECORD_TTL_MS = 3 * 60_000;

/** 72 random bits per process: no two processes (or restarts) share a call id prefix. */
const CALL_ID_PREFIX = randomBytes(9).toString('base64url');
let calls = 0;

/**
 * A fresh id for one call's record: unique per process by a counter (no entropy per call),
 * across processes by a random prefix; short to keep the record small.
 */
export function callId(): string {
  calls += 1;
  return `${CALL_ID_PREFIX}${calls.toString(36)}`;
}

/** Keys per bulk write (batch_init): a few ms of server time each, so nobody waits long behind it. */
export const BATCH_CHUNK = 5000;

/** A Lua script registered with `defineCommand`: KEYS and ARGV, reply as Redis sent it. */
export type Script = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

type ScriptCommand = (this: Redis, numKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

/**
 * Reads `<dir>/<name>.lua` for each name, resolves its includes (lua-includes.ts) and registers
 * it on the client as `<namespace>_<name>` (ioredis sends EVALSHA, and EVAL once per connection
 * or after NOSCRIPT). Files are read once at start-up, where a broken include throws; `dir` is
 * `new URL('./lua/', import.meta.url)` of the store module, and the build copies the .lua files
 * next to the compiled module. A Redis error names the script file and line it came from. With
 * `metrics`, each call's latency is observed under `<namespace>_<name>`.
 */
export function defineScripts<Name extends string>(
  redis: Redis,
  dir: URL,
  namespace: string,
  names: readonly Name[],
  metrics?: RedisMetrics,
): Record<Name, Script> {
  const scripts = {} as Record<Name, Script>;
  for (const name of names) {
    const command = `${namespace}_${name}`;
    const { lua, origins } = resolveLua(new URL(`${name}.lua`, dir));
    redis.defineCommand(command, { lua });
    // defineCommand adds an untyped method to the instance; look it up once here.
    const method = (redis as unknown as Record<string, ScriptCommand | undefined>)[command];
    if (method === undefined) throw new Error(`ioredis did not define ${command}`);
    const call: Script = (keys, args) =>
      method.call(redis, keys.length, ...keys, ...args).catch((error: unknown) => {
        throw locate(error, origins);
      });
    const observe = metrics?.script(command);
    scripts[name] =
      observe === undefined
        ? call
        : (keys, args) => {
            const start = performance.now();
            const reply = call(keys, args);
            // Timed until the reply (or the error): both are the script's latency.
            const done = (): void => observe((performance.now() - start) / 1000);
            reply.then(done, done);
            return reply;
          };
  }
  return scripts;
}

/** Narrows a script reply that must be a status string ('ok' or a Reason). */
export function statusOf(reply: unknown): string {
  if (typeof reply !== 'string')
    throw new Error(`script returned ${JSON.stringify(reply)}, expected a status`);
  return reply;
}

/** Narrows the reply of a create script: `{'ok', id}` or `{reason}` (create_*.lua). */
export function createdOf(reply: unknown): Created {
  const [status, id] = Array.isArray(reply) ? (reply as unknown[]) : [];
  if (status === 'ok' && typeof id === 'string') return { ok: true, id };
  const outcome = typeof status === 'string' ? outcomeOf(status) : undefined;
  if (outcome === undefined || outcome.ok) throw new Error(`create script returned ${JSON.stringify(reply)}`);
  return outcome;
}
