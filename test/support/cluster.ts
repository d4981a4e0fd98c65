/**
 * Runs `npm run cluster`'s compiled CLI for a test: one cluster in a temp dir on free ports,
 * `kill NAME` through the CLI (so the supervisor restarts it), and `down` by PID at the end.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = resolve('dist/cluster/cli.js');

export interface TestCluster {
  baseUrl: string;
  dir: string;
  cli(...args: string[]): Promise<string>;
  kill(name: string): Promise<void>;
  down(): Promise<void>;
}

export async function startCluster(serviceEnv: Record<string, string> = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'checkout-cluster-'));
  const cli = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(process.execPath, [CLI, ...args, '--dir', dir], {
      env: { ...process.env, GATEWAY_PORT: '0', ...serviceEnv },
      timeout: 240_000,
    });
    return stdout;
  };
  let stdout: string;
  try {
    stdout = await cli('up');
  } catch (error) {
    await cli('down').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const match = /^ready (http:\/\/\S+)$/m.exec(stdout);
  if (!match?.[1]) throw new Error(`cluster up printed no ready line: ${stdout}`);
  return {
    baseUrl: match[1],
    dir,
    cli,
    kill: async (name) => void (await cli('kill', name)),
    down: async () => {
      await cli('down');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
