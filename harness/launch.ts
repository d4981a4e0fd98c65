/**
 * Starting the system under test, shared by tests, bench and chaos: a process that prints
 * `ready http://HOST:PORT` once it serves (`node dist/single-process.js`, what `npm start`
 * runs, or a bench's no-op server), stopped by its own PID. The cluster is started through
 * its CLI by cluster.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const SINGLE_PROCESS = 'dist/single-process.js';

export interface Ready {
  child: ChildProcess;
  baseUrl: string;
  port: number;
}

/** Spawns `command args` and waits (bounded) for its `ready http://HOST:PORT` line. */
export async function spawnReady(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Ready> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${args.join(' ')} did not get ready: ${seen}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /^ready (http:\/\/\S+)$/m.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}: ${seen}`));
    });
  });
  child.stdout?.resume();
  return { child, baseUrl, port: Number(new URL(baseUrl).port) };
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it exited. */
export async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface Running extends Ready {
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

/**
 * The whole system in one process on `dataDir` (on a free port); `nodeArgs` go to node.
 * `root` is a built checkout whose dist/ runs (bench:ab's `--x-root`); default this one.
 */
export async function startEmbedded(
  dataDir: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  root = '.',
): Promise<Running> {
  const ready = await spawnReady(
    process.execPath,
    [...nodeArgs, join(root, SINGLE_PROCESS)],
    { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    30_000,
  );
  const { child } = ready;
  const exited =
    child.exitCode === null && child.signalCode === null ? once(child, 'exit') : Promise.resolve();
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { ...ready, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}
