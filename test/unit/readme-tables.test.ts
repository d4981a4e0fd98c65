/**
 * The README's benchmark and chaos tables are generated (`npm run docs:tables`) from the curated
 * results in bench/results/ and chaos/results/; this fails while the README shows anything else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCurated, renderReadme, type Curated } from '../../scripts/readme-tables.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FILE = join(ROOT, 'README.md');
const readme = readFileSync(FILE, 'utf8');

describe('README tables', () => {
  it('show exactly the curated results (run `npm run docs:tables` after changing one)', async () => {
    expect(await renderReadme(readme, loadCurated(ROOT), FILE)).toBe(readme);
  });

  it('follow a curated figure, and only between the markers', async () => {
    const curated: Curated = structuredClone(loadCurated(ROOT));
    const committed = curated.bench.embedded.scenarios.find((s) => s.id === 'committed');
    if (!committed) throw new Error('the curated embedded run has no committed scenario');
    committed.load.throughput = 123_456;
    const changed = await renderReadme(readme, curated, FILE);
    expect(changed).toContain('| 123,456 |');
    const outside = (text: string): string =>
      text.replace(/<!-- tables:(\S+) -->[^]*?<!-- \/tables:\1 -->/g, '');
    expect(outside(changed)).toBe(outside(readme));
  });

  it('refuse a README without the markers', async () => {
    await expect(renderReadme('# no tables here\n', loadCurated(ROOT), FILE)).rejects.toThrow(/lacks/);
  });
});
