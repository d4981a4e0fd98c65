/**
 * What the three Redis stores share: the loader that turns `lua/<name>.lua` files into
 * EVALSHA-backed commands (the records their writes leave: redis-records.ts).
 */
import { performance } from 'node:perf_hooks';
import { locate, resolveLua } from './lua-includes.js';
import type { RedisMetrics } from './metrics.js';
import type { Redis } from './redis.js';

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
