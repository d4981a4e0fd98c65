/**
 * Where bench and chaos runs write, and the stamp each result carries. Runs are outputs, not
 * sources: they go to results/ (ignored by git). One curated result per target is committed
 * (bench/results/<target>.json, chaos/results/*.json) by copying a run there; the README's
 * tables are generated from those by `npm run docs:tables` (scripts/readme-tables.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';

/** results/<tool>, created if missing. */
export function resultsDir(tool: 'bench' | 'chaos'): string {
  const dir = resolve('results', tool);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The commit measured: short hash, marked when src/ differs from it. */
export function commitMeasured(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim();
    return dirty === '' ? head : `${head}+local changes`;
  } catch {
    return 'unknown';
  }
}

/** The machine while measuring: a figure from a shared 2-core machine means little without it. */
export function machine(): { cpus: number; loadavg: number[] } {
  return { cpus: cpus().length, loadavg: loadavg().map((l) => Math.round(l * 100) / 100) };
}
