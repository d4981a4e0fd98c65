/** src/lib/progress.ts: one rewritten status line on a terminal, whole lines elsewhere. */
import { describe, expect, it } from 'vitest';
import { createProgress, type ProgressStream } from '../../src/lib/progress.js';

const CLEAR = '\r\x1b[2K';

function fakeStream(isTTY: boolean, columns = 80): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return {
    isTTY,
    columns,
    write: (chunk: string) => chunks.push(chunk),
    text: () => chunks.join(''),
  };
}

describe('progress on a terminal', () => {
  it('rewrites one line in place and clears it at the end', () => {
    const err = fakeStream(true);
    const p = createProgress(err, 3);
    p.step('starting redis');
    p.status('waiting for stock-redis replicas');
    p.step('starting services');
    p.done();
    expect(err.text()).toBe(
      `${CLEAR}[1/3] starting redis${CLEAR}[1/3] waiting for stock-redis replicas` +
        `${CLEAR}[2/3] starting services${CLEAR}`,
    );
    expect(err.text()).not.toContain('\n');
  });

  it('prints whole lines above the status line and redraws it', () => {
    const err = fakeStream(true);
    const out = fakeStream(true);
    const p = createProgress(err);
    p.step('bench');
    p.print('result 1', out);
    p.done();
    expect(out.text()).toBe('result 1\n');
    expect(err.text()).toBe(`${CLEAR}[1] bench${CLEAR}${CLEAR}[1] bench${CLEAR}`);
  });

  it('shows passing ticks, and a total set once known', () => {
    const err = fakeStream(true);
    const p = createProgress(err);
    p.step('start');
    p.setTotal(4);
    p.step('run');
    p.tick('run 50 % sent');
    expect(err.text()).toBe(`${CLEAR}[1] start${CLEAR}[2/4] run${CLEAR}[2/4] run 50 % sent`);
  });

  it('cuts a line wider than the terminal so it never wraps', () => {
    const err = fakeStream(true, 30);
    createProgress(err, 9).step('x'.repeat(100));
    const line = err.text().slice(CLEAR.length);
    expect(line.length).toBe(29);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('progress elsewhere (not a terminal)', () => {
  it('prints one whole line per step and per changed status, no control characters', () => {
    const err = fakeStream(false);
    const out = fakeStream(false);
    const p = createProgress(err, 2);
    p.step('starting redis');
    p.status('waiting for a');
    p.status('waiting for a');
    p.print('result', out);
    p.status('waiting for a');
    p.tick('50 % sent');
    p.status('waiting for b');
    p.step('done');
    p.done();
    expect(err.text()).toBe('[1/2] starting redis\n[1/2] waiting for a\n[1/2] waiting for b\n[2/2] done\n');
    expect(out.text()).toBe('result\n');
  });
});
