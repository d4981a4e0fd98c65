/**
 * A participant's batch handler from its per-command `apply`: the commands of a batch run
 * concurrently (the Redis store pipelines them and shares one WAIT). With tracing on, each
 * command runs in its own span, a child of the saga step that sent it (its traceparent).
 */
import { tracer } from '../lib/tracing.js';
import type { Handler, Participant, Reply } from './bus.js';

interface AnyCommand {
  type: string;
  sagaId?: string;
  orderId?: string;
}

export function handleEach<C extends AnyCommand>(
  participant: Participant,
  apply: (command: C) => Promise<Reply>,
): Handler<C> {
  return (commands, traceparents) => {
    if (traceparents === undefined) return Promise.all(commands.map(apply));
    return Promise.all(
      commands.map((command, i) =>
        tracer().inSpan(
          `${participant} ${command.type}`,
          { 'checkout.service': participant, saga_id: command.sagaId, order_id: command.orderId },
          () => apply(command),
          {
            parent: traceparents[i],
            end: (reply) => ({ 'checkout.outcome': reply.ok ? 'ok' : reply.reason }),
          },
        ),
      ),
    );
  };
}
