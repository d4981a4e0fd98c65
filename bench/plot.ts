/**
 * The latency-against-load plot as SVG: a few lines of markup that browsers and GitHub's
 * README view draw themselves, sharp at any size, and diffable in a review.
 */
import type { Report } from './report.js';

export interface Series {
  label: string;
  /** Any CSS colour. */
  color: string;
  points: { x: number; y: number }[];
}

/** A round tick step giving about `count` ticks up to `max`. */
function tickStep(max: number, count: number): number {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  return step ?? raw;
}

function format(value: number): string {
  if (value >= 1000) return `${Math.round(value / 100) / 10}k`;
  return String(Math.round(value * 100) / 100);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const round = (n: number): number => Math.round(n * 10) / 10;

/** A line chart of several series over shared axes, x and y starting at 0. */
export function lineChart(opts: { title: string; xLabel: string; yLabel: string; series: Series[] }): string {
  const [width, height] = [720, 440];
  const [left, right, top, bottom] = [70, 20, 70, 60];
  const all = opts.series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map((p) => p.x)) * 1.1;
  const maxY = Math.max(0.1, ...all.map((p) => p.y)) * 1.1;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const px = (x: number): number => round(left + (x / maxX) * plotW);
  const py = (y: number): number => round(top + plotH - (y / maxY) * plotH);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="8" y="22" font-size="15">${escape(opts.title)}</text>`,
  ];
  const xStep = tickStep(maxX, 6);
  for (let x = 0; x <= maxX; x += xStep) {
    out.push(`<line x1="${px(x)}" y1="${top}" x2="${px(x)}" y2="${top + plotH}" stroke="#e1e1e1"/>`);
    out.push(`<text x="${px(x)}" y="${top + plotH + 18}" text-anchor="middle">${format(x)}</text>`);
  }
  const yStep = tickStep(maxY, 6);
  for (let y = 0; y <= maxY; y += yStep) {
    out.push(`<line x1="${left}" y1="${py(y)}" x2="${left + plotW}" y2="${py(y)}" stroke="#e1e1e1"/>`);
    out.push(`<text x="${left - 8}" y="${py(y) + 4}" text-anchor="end">${format(y)}</text>`);
  }
  out.push(
    `<path d="M${left} ${top}V${top + plotH}H${left + plotW}" fill="none" stroke="#282828" stroke-width="2"/>`,
    `<text x="${left + plotW / 2}" y="${height - 16}" text-anchor="middle">${escape(opts.xLabel)}</text>`,
    `<text x="8" y="${top - 20}">${escape(opts.yLabel)}</text>`,
  );
  let legendX = left + plotW - 10 - opts.series.length * 70;
  for (const series of opts.series) {
    const color = escape(series.color);
    out.push(`<rect x="${legendX}" y="${top - 30}" width="14" height="10" fill="${color}"/>`);
    out.push(`<text x="${legendX + 18}" y="${top - 20}">${escape(series.label)}</text>`);
    legendX += 70;
    const points = [...series.points].sort((a, b) => a.x - b.x).map((p) => [px(p.x), py(p.y)] as const);
    const line = points.map(([x, y]) => `${x},${y}`).join(' ');
    out.push(`<polyline points="${line}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of points) out.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${color}"/>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The report's plot: p50, p90 and p99 of the open-loop runs against their offered rate. */
export function latencyPlot(report: Report): string {
  const open = report.scenarios.filter((s) => s.load.offeredRate !== undefined);
  const points = (pick: (l: Report['scenarios'][number]['load']['latencyMs']) => number) =>
    open.map((s) => ({ x: s.load.offeredRate ?? 0, y: pick(s.load.latencyMs) }));
  return lineChart({
    title: `${report.meta.target}: committed checkouts, latency (ms) against offered load (req/s)`,
    xLabel: 'offered load req/s',
    yLabel: 'latency ms',
    series: [
      { label: 'p50', color: '#1f77b4', points: points((l) => l.p50) },
      { label: 'p90', color: '#ff7f0e', points: points((l) => l.p90) },
      { label: 'p99', color: '#d62728', points: points((l) => l.p99) },
    ],
  });
}
