/**
 * Progress of long command-line work (cluster up, bench, chaos) on stderr, so stdout keeps only
 * what scripts read. On a terminal: one status line, rewritten in place and cleared at the end.
 * Elsewhere (CI logs, pipes): one plain line per step or changed status, nothing rewritten.
 */

/** The part of a stream this needs: process.stderr, or a fake in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

export interface Progress {
  /** Starts the next step: `[i/total] text` (`[i]` when the total is unknown). */
  step(text: string): void;
  /** Says what the current step waits for now; plain mode prints it only when it changed. */
  status(text: string): void;
  /** A passing detail (a percentage): shown on a terminal only, plain logs would fill up. */
  tick(text: string): void;
  /** Writes whole lines to `out` (stdout by default) without tearing the status line. */
  print(line: string, out?: ProgressStream): void;
  /** Sets the number of steps once it is known. */
  setTotal(total: number): void;
  /** Clears the status line (a terminal's); call it before exiting. */
  done(): void;
}

/** Carriage return and "erase the whole line". */
const CLEAR = '\r\x1b[2K';

export function createProgress(stream: ProgressStream, total?: number): Progress {
  const tty = stream.isTTY === true;
  let index = 0;
  let shown = '';

  const prefix = (): string => (total === undefined ? `[${index}]` : `[${index}/${total}]`);
  const show = (line: string): void => {
    if (line === shown) return;
    shown = line;
    if (!tty) {
      stream.write(`${line}\n`);
      return;
    }
    // Longer than the terminal is wide would wrap, and \r would then rewrite only the last row.
    // A size of 0 means unknown (a pseudo-terminal without one): assume 80.
    const width = Math.max(20, (stream.columns || 80) - 1);
    stream.write(`${CLEAR}${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
  };
  const clear = (): void => {
    // Plain lines stay where they are; remembering the last one avoids printing it twice.
    if (!tty || shown === '') return;
    stream.write(CLEAR);
    shown = '';
  };

  return {
    step(text) {
      index += 1;
      show(`${prefix()} ${text}`);
    },
    status(text) {
      show(`${prefix()} ${text}`);
    },
    tick(text) {
      if (tty) show(`${prefix()} ${text}`);
    },
    print(line, out = process.stdout) {
      const redraw = tty && shown !== '' ? shown : '';
      clear();
      out.write(`${line}\n`);
      if (redraw !== '') show(redraw);
    },
    setTotal(n) {
      total = n;
    },
    done() {
      clear();
    },
  };
}
