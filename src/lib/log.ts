import { pino, type Logger } from 'pino';

export type Log = Logger;

/** JSON logs, one line per event (docs/architecture.md, Conventions). */
export function createLog(level: string, name: string): Log {
  return pino({ level, name, base: { pid: process.pid } });
}

/** A logger that writes nothing, for tests. */
export function silentLog(): Log {
  return pino({ level: 'silent' });
}
