/**
 * The latency-against-load plot as a PNG, with no dependency: lines drawn into an RGBA buffer,
 * labelled with a 3×5 bitmap font, and encoded with node:zlib (deflate and crc32).
 */
import { crc32, deflateSync } from 'node:zlib';
import type { Report } from './report.js';

export interface Series {
  label: string;
  color: [number, number, number];
  points: { x: number; y: number }[];
}

type Rgb = [number, number, number];

/** 3 columns × 5 rows per glyph, one string per row, '#' lit. */
const GLYPHS: Record<string, string[]> = {
  '0': ['###', '#.#', '#.#', '#.#', '###'],
  '1': ['.#.', '##.', '.#.', '.#.', '###'],
  '2': ['###', '..#', '###', '#..', '###'],
  '3': ['###', '..#', '###', '..#', '###'],
  '4': ['#.#', '#.#', '###', '..#', '..#'],
  '5': ['###', '#..', '###', '..#', '###'],
  '6': ['###', '#..', '###', '#.#', '###'],
  '7': ['###', '..#', '..#', '..#', '..#'],
  '8': ['###', '#.#', '###', '#.#', '###'],
  '9': ['###', '#.#', '###', '..#', '###'],
  '.': ['...', '...', '...', '...', '.#.'],
  '/': ['..#', '..#', '.#.', '#..', '#..'],
  '%': ['#.#', '..#', '.#.', '#..', '#.#'],
  '-': ['...', '...', '###', '...', '...'],
  ' ': ['...', '...', '...', '...', '...'],
  a: ['...', '##.', '.##', '#.#', '###'],
  b: ['#..', '#..', '###', '#.#', '###'],
  c: ['...', '###', '#..', '#..', '###'],
  d: ['..#', '..#', '###', '#.#', '###'],
  e: ['...', '###', '###', '#..', '###'],
  f: ['.##', '#..', '##.', '#..', '#..'],
  g: ['...', '###', '#.#', '.##', '##.'],
  h: ['#..', '#..', '###', '#.#', '#.#'],
  i: ['.#.', '...', '.#.', '.#.', '.#.'],
  k: ['#..', '#.#', '##.', '#.#', '#.#'],
  l: ['##.', '.#.', '.#.', '.#.', '###'],
  m: ['...', '###', '###', '#.#', '#.#'],
  n: ['...', '##.', '#.#', '#.#', '#.#'],
  o: ['...', '###', '#.#', '#.#', '###'],
  p: ['...', '###', '#.#', '###', '#..'],
  q: ['...', '###', '#.#', '###', '..#'],
  r: ['...', '#.#', '##.', '#..', '#..'],
  s: ['...', '.##', '#..', '..#', '##.'],
  t: ['.#.', '###', '.#.', '.#.', '.##'],
  u: ['...', '#.#', '#.#', '#.#', '###'],
  v: ['...', '#.#', '#.#', '#.#', '.#.'],
  w: ['...', '#.#', '#.#', '###', '#.#'],
  x: ['...', '#.#', '.#.', '.#.', '#.#'],
  y: ['...', '#.#', '###', '..#', '##.'],
};

class Canvas {
  readonly pixels: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = Buffer.alloc(width * height * 4, 255);
  }

  set(x: number, y: number, [r, g, b]: Rgb): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    const i = (py * this.width + px) * 4;
    this.pixels[i] = r;
    this.pixels[i + 1] = g;
    this.pixels[i + 2] = b;
    this.pixels[i + 3] = 255;
  }

  rect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let dy = 0; dy < h; dy++) for (let dx = 0; dx < w; dx++) this.set(x + dx, y + dy, color);
  }

  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let i = 0; i <= steps; i++) {
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      this.rect(x - (thickness >> 1), y - (thickness >> 1), thickness, thickness, color);
    }
  }

  /** Text at (x, y) top-left, `scale` pixels per font dot; answers the width drawn. */
  text(x: number, y: number, text: string, color: Rgb, scale = 2): number {
    let cx = x;
    for (const ch of text) {
      const glyph = GLYPHS[ch] ?? GLYPHS[' '] ?? [];
      glyph.forEach((row, gy) => {
        [...row].forEach((dot, gx) => {
          if (dot === '#') this.rect(cx + gx * scale, y + gy * scale, scale, scale, color);
        });
      });
      cx += 4 * scale;
    }
    return cx - x;
  }

  png(): Buffer {
    const stride = this.width * 4;
    const raw = Buffer.alloc((stride + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (stride + 1)] = 0; // filter: none
      this.pixels.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
    }
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    header.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter choice, no interlace
    const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
    return Buffer.concat([
      signature,
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(raw)),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A round step giving about `count` ticks up to `max`. */
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

const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];

/** A line chart of several series over shared axes, x and y starting at 0. */
export function lineChart(opts: { title: string; xLabel: string; yLabel: string; series: Series[] }): Buffer {
  const width = 720;
  const height = 440;
  const left = 70;
  const right = 20;
  const top = 70;
  const bottom = 60;
  const canvas = new Canvas(width, height);
  const all = opts.series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map((p) => p.x)) * 1.1;
  const maxY = Math.max(0.1, ...all.map((p) => p.y)) * 1.1;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const px = (x: number): number => left + (x / maxX) * plotW;
  const py = (y: number): number => top + plotH - (y / maxY) * plotH;

  const xStep = tickStep(maxX, 6);
  for (let x = 0; x <= maxX; x += xStep) {
    canvas.line(px(x), top, px(x), top + plotH, GRID);
    const label = format(x);
    canvas.text(px(x) - label.length * 4, top + plotH + 8, label, INK);
  }
  const yStep = tickStep(maxY, 6);
  for (let y = 0; y <= maxY; y += yStep) {
    canvas.line(left, py(y), left + plotW, py(y), GRID);
    const label = format(y);
    canvas.text(left - 8 - label.length * 8, py(y) - 5, label, INK);
  }
  canvas.line(left, top, left, top + plotH, INK, 2);
  canvas.line(left, top + plotH, left + plotW, top + plotH, INK, 2);
  canvas.text(left + plotW / 2 - opts.xLabel.length * 4, height - 24, opts.xLabel, INK);
  canvas.text(8, top - 26, opts.yLabel, INK);
  canvas.text(8, 10, opts.title, INK);

  let legendX = left + plotW - 10 - opts.series.length * 70;
  for (const series of opts.series) {
    canvas.rect(legendX, top - 26, 14, 10, series.color);
    canvas.text(legendX + 18, top - 26, series.label, INK);
    legendX += 70;
    const points = [...series.points].sort((a, b) => a.x - b.x);
    points.forEach((p, i) => {
      const prev = points[i - 1];
      if (prev) canvas.line(px(prev.x), py(prev.y), px(p.x), py(p.y), series.color, 2);
      canvas.rect(px(p.x) - 3, py(p.y) - 3, 7, 7, series.color);
    });
  }
  return canvas.png();
}

/** The report's plot: p50, p90 and p99 of the open-loop runs against their offered rate. */
export function latencyPlot(report: Report): Buffer {
  const open = report.scenarios.filter((s) => s.load.offeredRate !== undefined);
  const points = (pick: (l: Report['scenarios'][number]['load']['latencyMs']) => number) =>
    open.map((s) => ({ x: s.load.offeredRate ?? 0, y: pick(s.load.latencyMs) }));
  return lineChart({
    title: `${report.meta.target} committed checkouts latency ms vs offered req/s`,
    xLabel: 'offered load req/s',
    yLabel: 'latency ms',
    series: [
      { label: 'p50', color: [31, 119, 180], points: points((l) => l.p50) },
      { label: 'p90', color: [255, 127, 14], points: points((l) => l.p90) },
      { label: 'p99', color: [214, 39, 40], points: points((l) => l.p99) },
    ],
  });
}
