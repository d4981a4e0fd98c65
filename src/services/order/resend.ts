/**
 * How the orchestrator talks to a participant over an at-least-once bus that may lose a
 * reply: send the command, and send it again every `attemptMs` (or on the compensation
 * back-off) until one copy is answered. Commands are idempotent by saga id, so copies are safe.
 */
import type { Bus, Commands, Participant, Reply } from '../../bus/bus.js';
import type { Log } from '../../lib/log.js';

/** How long one copy of a command listens for its reply when there is no nearer deadline. */
const MAX_LISTEN_MS = 60_000;

export interface ResendOptions {
  /** Undefined is answered at once when this says so (lease lost, replica closing). */
  stop: () => boolean;
  /** Replies this rejects are logged and the command re-sent; by default every reply is accepted. */
  accept?: (reply: Reply) => boolean;
  /** The pause before copy `attempt + 1`; by default the attempt time. */
  pause?: (attempt: number) => number;
  /** Called as each copy is sent (the saga counts re-sends for its journal). */
  onSend?: () => void;
}

export type SendUntilAnswered = <P extends Participant>(
  to: P,
  command: Commands[P],
  deadline: number,
  options: ResendOptions,
) => Promise<Reply | undefined>;

/** The saga and order a command is about, for its log lines. */
function idsOf(command: Commands[Participant]): { saga_id?: string; order_id?: string } {
  return {
    ...('sagaId' in command ? { saga_id: command.sagaId } : {}),
    ...('orderId' in command ? { order_id: command.orderId } : {}),
  };
}

/**
 * Every copy keeps listening until the deadline, so a participant slower than `attemptMs`
 * still gets its answer through. Resolves undefined at the deadline or when `stop` says so.
 */
export function sendUntilAnswered(bus: Bus, attemptMs: number, log: Log): SendUntilAnswered {
  return (to, command, deadline, { stop, accept = () => true, pause = () => attemptMs, onSend }) =>
    new Promise((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (reply: Reply | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(reply);
      };
      const send = (attempt: number): void => {
        const left = deadline - Date.now();
        if (left <= 0 || stop()) return finish(undefined);
        onSend?.();
        void bus.request(to, command, Math.min(left, MAX_LISTEN_MS)).then((reply) => {
          if (reply === undefined) return;
          if (accept(reply)) finish(reply);
          else log.error({ ...idsOf(command), reply }, 'unexpected reply; re-sending');
        });
        timer = setTimeout(() => send(attempt + 1), Math.min(pause(attempt), left));
      };
      send(0);
    });
}
