/**
 * One Redis/Sentinel command over a fresh TCP connection, RESP2. The supervisor only needs a
 * handful of probes (PING, INFO, SENTINEL ...); a driver with reconnects and offline queues
 * would hide exactly the failures these probes are meant to see.
 */
import { connect } from 'node:net';

export type Resp = string | number | null | Resp[] | RespError;

export class RespError extends Error {}

/** Parses one reply from `buf` at `at`; undefined while the reply is incomplete. */
function parse(buf: Buffer, at: number): { value: Resp; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at] ?? 0);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new RespError(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next };
      if (buf.length < next + length + 2) return undefined;
      return { value: buf.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: Resp[] = [];
      let cursor = next;
      for (let i = 0; i < count; i += 1) {
        const item = parse(buf, cursor);
        if (item === undefined) return undefined;
        items.push(item.value);
        cursor = item.next;
      }
      return { value: items, next: cursor };
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

let auth: { username: string; password: string } | undefined;

/** The user every later call logs in as (AUTH before the command); secrets.ts sets it. */
export function useRedisAuth(credentials: { username: string; password: string } | undefined): void {
  auth = credentials;
}

/**
 * Sends one command to 127.0.0.1:`port`, after AUTH when useRedisAuth set a user; rejects on
 * connection errors, timeouts and error replies (a refused AUTH too).
 */
export function redisCall(port: number, args: readonly string[], timeoutMs = 1000): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    // The AUTH reply comes first; the command's reply is the one that resolves.
    let pendingAuth = auth !== undefined;
    const finish = (error: Error | undefined, value?: Resp): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(value ?? null);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`redis 127.0.0.1:${port} timed out`)));
    socket.once('error', (error) => finish(error));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const reply = parse(buf, 0);
        if (reply === undefined) return;
        if (reply.value instanceof RespError) return finish(reply.value);
        if (pendingAuth) {
          pendingAuth = false;
          buf = buf.subarray(reply.next);
          const next = parse(buf, 0);
          if (next === undefined) return;
          return next.value instanceof RespError ? finish(next.value) : finish(undefined, next.value);
        }
        finish(undefined, reply.value);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
    if (auth !== undefined) socket.write(encode(['AUTH', auth.username, auth.password]));
    socket.write(encode(args));
  });
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
