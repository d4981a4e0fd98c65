/**
 * Redis for tests: the machine's Redis at REDIS_URL when it answers, else private
 * redis-server / Sentinel processes on free ports (data dirs under the OS temp dir), each
 * stopped by its own PID; and a TCP proxy that can swallow replies and break connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/lib/config.js';
import { waitFor } from '../../src/lib/retry.js';

export async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
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

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface RedisProcess {
  url: string;
  port: number;
  child: ChildProcess;
}

/** Starts redis processes on demand and stops every one of them (by PID) in `stopAll`. */
export function redisProcesses() {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];

  async function launch(args: (dir: string, port: number) => Promise<string[]>): Promise<RedisProcess> {
    const port = await freePort();
    // A replica writes the RDB it receives, Sentinel its config: keep both out of the work tree.
    const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
    dirs.push(dir);
    const child = spawn('redis-server', await args(dir, port), { stdio: 'ignore' });
    children.push(child);
    const url = `redis://127.0.0.1:${port}`;
    if (await waitFor(() => answers(url), 5000, 50)) return { url, port, child };
    throw new Error(`redis-server on ${port} did not start`);
  }

  return {
    /** A redis-server without persistence; `extra` adds options (e.g. `--replicaof h p`). */
    server: (...extra: string[]) =>
      launch((dir, port) =>
        Promise.resolve([
          ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
          ...['--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', ...extra],
        ]),
      ),

    /** A Sentinel watching `masterPort` as `name`, quorum 1, quick to declare it down. */
    sentinel: (name: string, masterPort: number) =>
      launch(async (dir, port) => {
        const file = join(dir, 'sentinel.conf');
        const lines = [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
          `sentinel down-after-milliseconds ${name} 500`,
          `sentinel failover-timeout ${name} 2000`,
        ];
        await writeFile(file, `${lines.join('\n')}\n`);
        return [file, '--sentinel'];
      }),

    async stopAll(): Promise<void> {
      await Promise.all(children.map((child) => stop(child, 'SIGTERM')));
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

/** Stops one child by its PID and waits until it exited. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** REDIS_URL if a Redis answers there, else a private server started with `processes`. */
export async function testRedisUrl(processes: ReturnType<typeof redisProcesses>): Promise<string> {
  const url = loadConfig().redis.url;
  return (await answers(url)) ? url : (await processes.server()).url;
}

export interface ReplyEatingProxy {
  url: string;
  /** While true, Redis' replies are dropped: commands run, their callers never hear back. */
  eatReplies: boolean;
  /** Breaks every connection through the proxy; clients reconnect through it. */
  breakConnections(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy to Redis that can swallow Redis' replies and break its connections: the failure
 * after which a command ran but its caller cannot know.
 */
export async function replyEatingProxy(target: string): Promise<ReplyEatingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = connect(Number(port), hostname);
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
  const proxy: ReplyEatingProxy = {
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
