/**
 * Queues and exchanges of the RabbitMQ bus, declared on every (re)connection so a broker that
 * lost them, or a fresh one, is usable at once. Declarations are idempotent.
 *
 * - `${prefix}${participant}.commands`, one per participant, of the configured type:
 *   - `quorum`: replicated and on disk, survives a broker crash once confirmed;
 *     `x-delivery-limit` bounds how often a message that crashes its consumer comes back
 *     before it is dead-lettered.
 *   - `classic` (named `...commands.classic`, since a queue cannot change type): durable
 *     declaration, transient messages, nothing written to disk. A broker crash loses the
 *     commands in it; the saga re-sends every SAGA_ATTEMPT_MS, so that costs a delay, not a
 *     saga (docs/architecture.md, Messaging). A classic queue has no delivery limit: a command that keeps
 *     failing its handler comes back (with back-off) until its expiry (COMMAND_TTL_MS).
 * - With `singleActive` (AMQP_SINGLE_ACTIVE_CONSUMER), the queue is declared with
 *   `x-single-active-consumer` (named `....single`, for the same reason): the broker delivers to
 *   one consumer at a time and hands the queue, with the unacknowledged messages requeued, to
 *   the next waiting consumer the moment that one's channel closes. On one machine that is the
 *   cheaper way to run two replicas: a lone active consumer sees all the load and batches twice
 *   as much as two halves would, while the standby costs nothing until it takes over
 *   (docs/performance.md, "Active and standby replicas").
 * - `${prefix}dead-letter`: a headers exchange and a quorum queue. Only poison messages
 *   (rejected as malformed, or over the delivery limit) are bound into the queue: an expired
 *   command is dead-lettered by the broker too, but it is ordinary (the saga gave up on it
 *   or re-sent it), so the exchange drops it for want of a binding.
 */
import type { Channel } from 'amqplib';
import type { QueueType } from '../lib/config.js';
import type { Participant } from './bus.js';

export const PARTICIPANTS = ['stock', 'payment'] as const satisfies readonly Participant[];

export function commandQueue(
  prefix: string,
  participant: Participant,
  type: QueueType,
  singleActive: boolean,
): string {
  return `${prefix}${participant}.commands${type === 'quorum' ? '' : `.${type}`}${singleActive ? '.single' : ''}`;
}

export function deadLetterQueue(prefix: string): string {
  return `${prefix}dead-letter`;
}

/** Dead-letter reasons that mark a poison message (RabbitMQ's `x-first-death-reason`). */
const POISON_REASONS = ['rejected', 'delivery_limit'] as const;

export async function declareTopology(
  channel: Channel,
  prefix: string,
  deliveryLimit: number,
  type: QueueType,
  singleActive: boolean,
): Promise<void> {
  const deadLetter = deadLetterQueue(prefix);
  await channel.assertExchange(deadLetter, 'headers', { durable: true });
  await channel.assertQueue(deadLetter, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  for (const reason of POISON_REASONS) {
    // Plain `all` ignores `x-` headers (and so would match everything); `all-with-x` needs 3.10+.
    await channel.bindQueue(deadLetter, deadLetter, '', {
      'x-match': 'all-with-x',
      'x-first-death-reason': reason,
    });
  }
  for (const participant of PARTICIPANTS) {
    const limit = type === 'quorum' ? { 'x-delivery-limit': deliveryLimit } : {};
    const single = singleActive ? { 'x-single-active-consumer': true } : {};
    await channel.assertQueue(commandQueue(prefix, participant, type, singleActive), {
      durable: true,
      arguments: { 'x-queue-type': type, 'x-dead-letter-exchange': deadLetter, ...limit, ...single },
    });
  }
}
