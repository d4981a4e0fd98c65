/** `npm start`'s process, over real HTTP: the contract, bad input and consistency suites. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../support/client.js';
import { startEmbedded, type Running } from '../support/embedded.js';
import { describeBadInput } from '../suites/bad-input.js';
import { describeConsistency } from '../suites/consistency.js';
import { describeContract } from '../suites/contract.js';

const dataDir = mkdtempSync(join(tmpdir(), 'checkout-embedded-'));
let system: Running;

beforeAll(async () => {
  system = await startEmbedded(dataDir);
});
afterAll(async () => {
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describeContract('embedded', () => system.baseUrl);
describeBadInput('embedded', () => system.baseUrl);
describeConsistency('embedded', () => system.baseUrl);

describe('operations endpoints (embedded)', () => {
  it('answers /health, /ready and Prometheus /metrics counting requests by route and status', async () => {
    const api = createClient(system.baseUrl, 2);
    expect((await api.get('/health')).status).toBe(200);
    expect((await api.get('/ready')).status).toBe(200);
    await api.get('/stock/find/no-such-item');
    const metrics = await api.get('/metrics');
    expect(metrics.status).toBe(200);
    const text = String(metrics.body);
    expect(text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/stock\/find\/:item_id",status="404"\} [1-9]/m,
    );
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    // Read from the store at scrape time: none is stuck in a healthy run.
    expect(text).toMatch(/^sagas_stuck\{state="RUNNING"\} 0$/m);
    expect(text).toMatch(/^sagas_in_flight \d+$/m);
    api.close();
  });
});
