/** The benchmark's latency plot (bench/plot.ts): an SVG line chart drawn from the report's points. */
import { describe, expect, it } from 'vitest';
import { lineChart } from '../../bench/plot.js';

const chart = lineChart({
  title: 'p50 & p99 <latency>',
  xLabel: 'x',
  yLabel: 'y',
  series: [
    {
      label: 'p50',
      color: '#ff0000',
      points: [
        { x: 2, y: 3 },
        { x: 1, y: 1 },
      ],
    },
    { label: 'p99', color: '#0000ff', points: [{ x: 2, y: 6 }] },
  ],
});

describe('lineChart', () => {
  it('is one SVG document with one line per series, its points ordered by x', () => {
    expect(chart).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="720" height="440"[^>]*>\n/);
    expect(chart.endsWith('</svg>\n')).toBe(true);
    const lines = [...chart.matchAll(/<polyline points="([^"]*)" fill="none" stroke="([^"]*)"/g)];
    expect(lines.map((m) => m[2])).toEqual(['#ff0000', '#0000ff']);
    const xs = (lines[0]?.[1] ?? '').split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs).toHaveLength(2);
    expect(xs[0]).toBeLessThan(xs[1] ?? 0);
  });

  it('keeps every point inside the plot area, higher values drawn higher', () => {
    const points = [...chart.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(points).toHaveLength(3);
    for (const [x, y] of points) {
      expect(x).toBeGreaterThanOrEqual(70);
      expect(x).toBeLessThanOrEqual(700);
      expect(y).toBeGreaterThanOrEqual(70);
      expect(y).toBeLessThanOrEqual(380);
    }
    const [low, high] = [points[1]?.[1] ?? 0, points[2]?.[1] ?? 0]; // (2,3) and (2,6)
    expect(high).toBeLessThan(low);
  });

  it('escapes text, so a label cannot break the markup', () => {
    expect(chart).toContain('p50 &amp; p99 &lt;latency&gt;');
    expect(chart).not.toContain('<latency>');
  });
});
