/** Starts `node dist/single-process.js` (what `npm start` runs) as a child and stops it by its PID. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface Running {
  baseUrl: string;
  child: ChildProcess;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

export async function startEmbedded(dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, ['dist/single-process.js'], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`embedded did not get ready: ${seen}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /^ready (http:\/\/\S+)$/m.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`embedded exited with ${code}: ${seen}`)));
  });
  child.stdout?.resume();
  const exited = once(child, 'exit');
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { baseUrl, child, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}
