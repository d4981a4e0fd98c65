/** `npm start`'s process, over real HTTP: the contract, bad input and consistency suites. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startEmbedded, type Running } from './support/embedded.js';
import { describeBadInput } from './suites/bad-input.js';
import { describeConsistency } from './suites/consistency.js';
import { describeContract } from './suites/contract.js';

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
