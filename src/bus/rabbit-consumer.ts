/**
 * The serving half of the RabbitMQ bus: one consumer per participant, one channel per
 * connection. Acknowledgement follows the work (docs/architecture.md, Conventions):
 * - ack only after the handler resolved and its reply was published on the same channel
 *   (so the reply leaves before the ack);
 * - the handler threw (infrastructure failure) -> nack with requeue, after a back-off that
 *   holds the message, so a Redis failover of a few seconds does not burn the delivery limit;
 * - malformed -> reject without requeue: the queue dead-letters it, one log line;
 * - a message that keeps crashing its consumer ends in the dead-letter queue through the
 *   queue's `x-delivery-limit`. No path crash-loops the process.
 * A delivery whose channel died meanwhile is simply dropped: the broker redelivers it.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Log } from '../lib/log.js';
import { backoff } from '../lib/retry.js';
import { traceparentsOf, type Commands, type Handler, type Participant, type Reply } from './bus.js';
import { decodeBatch, encodeReplies } from './rabbit-codec.js';
import { DIRECT_REPLY_TO } from './rabbit-publisher.js';

/** Longest pause before a failed message is handed back for redelivery. */
const MAX_RETRY_DELAY_MS = 2000;

export interface ConsumerStats {
  messagesHandled: number;
  commandsHandled: number;
  expiredDropped: number;
  handlerFailures: number;
  deadLettered: number;
}

export interface ConsumerOptions<P extends Participant> {
  participant: P;
  queue: string;
  handler: Handler<Commands[P]>;
  prefetch: number;
  /** First back-off after a handler failure; doubles with each redelivery up to 2 s. */
  retryDelayMs: number;
  log: Log;
}

export interface Consumer {
  /** Subscribes on `model`; `lost` is called when the channel dies while the connection lives. */
  attach(model: ChannelModel, lost: () => void): Promise<void>;
  /** Stops consuming, waits for in-flight messages to be answered and acked, closes the channel. */
  close(): Promise<void>;
  stats(): ConsumerStats;
}

/** For closing: a channel that is already gone throws or rejects, and that is fine. */
async function quietly(act: () => Promise<unknown>): Promise<void> {
  try {
    await act();
  } catch {
    // Already closed: nothing left to stop.
  }
}

export function createConsumer<P extends Participant>(options: ConsumerOptions<P>): Consumer {
  const { participant, queue, handler, log } = options;
  const inFlight = new Set<Promise<void>>();
  const sleepers = new Set<() => void>();
  const stats: ConsumerStats = {
    messagesHandled: 0,
    commandsHandled: 0,
    expiredDropped: 0,
    handlerFailures: 0,
    deadLettered: 0,
  };
  let attached: { model: ChannelModel; done: Promise<void> } | undefined;
  let current: { channel: Channel; consumerTag: string } | undefined;
  let closing = false;

  /** Waits `ms`, or less if the consumer is closing (close must not wait on back-offs). */
  function pause(ms: number): Promise<void> {
    if (closing) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  }

  /** Acks, nacks and replies on a channel that may have died: then the broker redelivers. */
  function onChannel(channel: Channel, act: (channel: Channel) => void): void {
    try {
      act(channel);
    } catch (err) {
      log.debug({ queue, err }, 'channel gone before acknowledgement; the broker redelivers');
    }
  }

  function deadLetter(channel: Channel, message: ConsumeMessage, problem: string): void {
    stats.deadLettered += 1;
    log.error({ queue, problem, bytes: message.content.length }, 'malformed command message dead-lettered');
    onChannel(channel, (ch) => ch.reject(message, false));
  }

  async function handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const { replyTo, correlationId } = message.properties as { replyTo?: unknown; correlationId?: unknown };
    if (
      typeof replyTo !== 'string' ||
      !replyTo.startsWith(DIRECT_REPLY_TO) ||
      typeof correlationId !== 'string'
    ) {
      deadLetter(channel, message, 'no direct reply-to address or correlation id');
      return;
    }
    const batch = decodeBatch(participant, message.content);
    if (typeof batch === 'string') {
      deadLetter(channel, message, batch);
      return;
    }
    const now = Date.now();
    // An expired command is dropped unapplied and unanswered (docs/architecture.md, saga step 6).
    const live = batch.flatMap(({ command, expiresAt, traceparent }, index) =>
      expiresAt > now ? [{ command, index, traceparent }] : [],
    );
    stats.expiredDropped += batch.length - live.length;
    if (live.length === 0) {
      onChannel(channel, (ch) => ch.ack(message));
      return;
    }
    let replies: Reply[];
    try {
      replies = await handler(
        live.map((entry) => entry.command),
        traceparentsOf(live),
      );
      if (replies.length !== live.length) {
        throw new Error(`handler answered ${replies.length} of ${live.length} commands`);
      }
    } catch (err) {
      stats.handlerFailures += 1;
      const deliveries = Number(
        (message.properties.headers as Record<string, unknown> | undefined)?.['x-delivery-count'] ?? 0,
      );
      const delay = backoff(deliveries, { baseMs: options.retryDelayMs, maxMs: MAX_RETRY_DELAY_MS });
      log.warn({ queue, deliveries, err }, 'command handler failed; redelivering');
      await pause(delay);
      onChannel(channel, (ch) => ch.nack(message, false, true));
      return;
    }
    const answers: (Reply | null)[] = batch.map(() => null);
    live.forEach(({ index }, i) => {
      answers[index] = replies[i] ?? null;
    });
    stats.messagesHandled += 1;
    stats.commandsHandled += live.length;
    onChannel(channel, (ch) => {
      ch.publish('', replyTo, encodeReplies(answers), { correlationId, contentType: 'application/json' });
      ch.ack(message);
    });
  }

  async function subscribe(model: ChannelModel, lost: () => void): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (err: unknown) => log.warn({ queue, err }, 'consumer channel error'));
    channel.on('close', () => {
      if (current?.channel === channel) current = undefined;
      if (!closing) lost();
    });
    await channel.prefetch(options.prefetch);
    const { consumerTag } = await channel.consume(queue, (message) => {
      if (message === null) {
        // The broker cancelled us (queue deleted): reconnecting re-declares and resubscribes.
        log.warn({ queue }, 'consumer cancelled by the broker');
        if (!closing) lost();
        return;
      }
      const work = handle(channel, message).catch((err: unknown) => {
        log.error({ queue, err }, 'unexpected consumer failure');
      });
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    });
    current = { channel, consumerTag };
  }

  return {
    attach(model: ChannelModel, lost: () => void): Promise<void> {
      if (closing) return Promise.resolve();
      // The bus attaches on each connection and on serve(); both may race on one model.
      if (attached?.model !== model) attached = { model, done: subscribe(model, lost) };
      return attached.done;
    },

    async close(): Promise<void> {
      closing = true;
      await attached?.done.catch(() => undefined);
      const subscription = current;
      if (subscription !== undefined)
        await quietly(() => subscription.channel.cancel(subscription.consumerTag));
      sleepers.forEach((wake) => wake());
      await Promise.all([...inFlight]);
      if (subscription !== undefined) await quietly(() => subscription.channel.close());
    },

    stats: () => ({ ...stats }),
  };
}
