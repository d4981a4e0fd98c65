/**
 * `npm run bench:ab` on the embedded target, tiny: proves the A/B runner starts both sides,
 * drives them in the interleaved order with committed checkouts, and writes its summary.
 * Never asserts a speed (the machine is shared; speed belongs to the bench).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AbRow, AbRun } from '../../bench/ab-summary.js';

const run = promisify(execFile);

interface AbFile {
  meta: { target: string; rates: number[]; rounds: number; sides: { A: string; B: string } };
  runs: AbRun[];
  rows: AbRow[];
}

describe('npm run bench:ab (embedded, tiny)', () => {
  const out = mkdtempSync(join(tmpdir(), 'bench-ab-'));
  let result: AbFile;
  let stdout = '';

  beforeAll(async () => {
    const args = [
      '--import',
      'tsx',
      'bench/ab.ts',
      '--target',
      'embedded',
      '--rates',
      '30,60',
      '--seconds',
      '1',
    ];
    const more = ['--rounds', '2', '--b-env', 'COMMAND_TTL_MS=20000', '--out', out];
    stdout = (await run(process.execPath, [...args, ...more], { timeout: 120_000 })).stdout;
    const file = readdirSync(out).find((f) => f.endsWith('-ab.json'));
    result = JSON.parse(readFileSync(join(out, file ?? 'missing'), 'utf8')) as AbFile;
  }, 150_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs both sides at every rate in every round, alternating which goes first', () => {
    expect(result.meta).toMatchObject({ target: 'embedded', rates: [30, 60], rounds: 2 });
    expect(result.meta.sides).toEqual({
      A: 'this checkout',
      B: 'this checkout, services COMMAND_TTL_MS=20000',
    });
    expect(result.runs.map((r) => `${r.round}:${r.rate}:${r.side}`)).toEqual([
      '0:30:A',
      '0:30:B',
      '0:60:A',
      '0:60:B',
      '1:30:B',
      '1:30:A',
      '1:60:B',
      '1:60:A',
    ]);
  });

  it('commits every checkout it sends and charges each run its side’s CPU', () => {
    for (const r of result.runs) {
      // rate × 1 s of fresh orders, all committed (stock and credit are ample).
      expect(r.committed).toBe(r.rate);
      expect(r.failed).toBe(0);
      expect(r.cpuUsPerCheckout).toBeGreaterThan(0);
      expect(r.p50Ms).toBeGreaterThan(0);
      expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    }
  });

  it('prints and writes the medians of each side per rate and metric', () => {
    expect(result.rows).toHaveLength(6);
    for (const row of result.rows) {
      expect(row.a).toHaveLength(2);
      expect(row.b).toHaveLength(2);
    }
    expect(stdout).toContain('| 60 | CPU-µs per checkout |');
    expect(readdirSync(out).some((f) => f.endsWith('-ab.md'))).toBe(true);
  });
});
