/**
 * Graceful shutdown (docs/architecture.md): on SIGTERM/SIGINT stop accepting, drain in-flight work,
 * close connections, then exit. A second signal exits at once.
 */
import type { Log } from './log.js';

export type Step = () => Promise<void>;

export function onShutdown(log: Log, steps: Step[]): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    void (async () => {
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          log.error({ err: error }, 'shutdown step failed');
        }
      }
      log.info('stopped');
      process.exit(0);
    })();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
