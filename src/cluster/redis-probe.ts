/**
 * One Redis/Sentinel command over a fresh connection (ioredis, with its reconnects, retries
 * and offline queue switched off). The supervisor only needs a handful of probes (PING, INFO,
 * SENTINEL ...); a client that reconnects and queues would hide exactly the failures these
 * probes are meant to see, so every call connects, asks once, and disconnects.
 */
import { Redis } from 'ioredis';

/** A reply as ioredis decodes it: bulk strings as strings, arrays as arrays. */
export type Resp = string | number | null | Resp[];

let auth: { username: string; password: string } | undefined;

/** The user every later call logs in as (AUTH before the command); secrets.ts sets it. */
export function useRedisAuth(credentials: { username: string; password: string } | undefined): void {
  auth = credentials;
}

/**
 * Sends one command to 127.0.0.1:`port`, after AUTH when useRedisAuth set a user; rejects on
 * connection errors, timeouts and error replies (a refused AUTH too).
 */
export async function redisCall(port: number, args: readonly string[], timeoutMs = 1000): Promise<Resp> {
  const [command, ...rest] = args;
  if (command === undefined) throw new Error('redisCall needs a command');
  const client = new Redis({
    host: '127.0.0.1',
    port,
    ...auth,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // The socket's own error (ECONNREFUSED, a timeout) says more than ioredis's "Connection is
  // closed" that connect() rejects with; listening also keeps ioredis from printing it.
  let cause: Error | undefined;
  client.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await client.connect().catch((error: unknown) => {
      throw cause ?? error;
    });
    return (await client.call(command, ...rest)) as Resp;
  } finally {
    client.disconnect();
  }
}

/** `INFO section` as a key -> value map. */
export async function redisInfo(
  port: number,
  section: string,
  timeoutMs?: number,
): Promise<Map<string, string>> {
  const text = await redisCall(port, ['INFO', section], timeoutMs);
  const fields = new Map<string, string>();
  if (typeof text !== 'string') return fields;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** A flat [field, value, ...] array (SENTINEL MASTER, SENTINEL REPLICAS entries) as a map. */
export function pairs(reply: Resp): Map<string, string> {
  const fields = new Map<string, string>();
  if (!Array.isArray(reply)) return fields;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const key = reply[i];
    const value = reply[i + 1];
    if (typeof key === 'string') fields.set(key, typeof value === 'string' ? value : String(value));
  }
  return fields;
}

/** Port of the instance Sentinel names as master of `name`, from the first Sentinel that answers. */
export async function sentinelMasterPort(
  sentinelPorts: readonly number[],
  name: string,
): Promise<number | undefined> {
  for (const port of sentinelPorts) {
    try {
      const reply = await redisCall(port, ['SENTINEL', 'get-master-addr-by-name', name], 500);
      if (Array.isArray(reply) && typeof reply[1] === 'string') return Number(reply[1]);
    } catch {
      // Try the next Sentinel.
    }
  }
  return undefined;
}
