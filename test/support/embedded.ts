/**
 * `npm start`'s process for one test file: started before its tests on a fresh data directory,
 * stopped by its PID and the directory removed after them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startEmbedded, type Running } from '../../harness/launch.js';

/** Registers the file's beforeAll/afterAll; answers the base URL once the process is up. */
export function useEmbedded(name: string): () => string {
  const dataDir = mkdtempSync(join(tmpdir(), `checkout-${name}-`));
  let system: Running | undefined;
  beforeAll(async () => {
    system = await startEmbedded(dataDir);
  });
  afterAll(async () => {
    await system?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return () => {
    if (system === undefined) throw new Error('the embedded process is not running');
    return system.baseUrl;
  };
}
