/**
 * Scatter-gather (gather.ts) over RabbitMQ. A question is one message to the direct exchange
 * `${prefix}gather` with its topic as routing key; every answering process binds its own
 * exclusive, server-named queue under that key, so each gets a copy, and replies by direct
 * reply-to to the asker's channel, under the question's correlation id. The broker does not
 * say how many queues a message reached, so the asker always waits out the window.
 *
 * One plain channel per connection, opened by `attach` on every (re)connection: the exclusive
 * queues die with their connection and are declared and bound again on the next. A channel
 * that the broker closes alone (a channel error, the connection still up) calls `lost`, which
 * drops the connection, so the recovery's next `attach` opens a channel again: without it the
 * process would neither ask nor answer until some other failure reconnected it.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Log } from '../lib/log.js';
import type { Answer, Gathering } from './gather.js';
import { DIRECT_REPLY_TO } from './rabbit-publisher.js';

export function gatherExchange(prefix: string): string {
  return `${prefix}gather`;
}

export interface RabbitGathering extends Gathering {
  /**
   * Opens the channel on a new connection and binds every answering topic again; `lost` is
   * called when that channel dies while the gathering is open.
   */
  attach(model: ChannelModel, lost: () => void): Promise<void>;
  /** Ends open gathers with what arrived; later ones answer [] at once. */
  close(): void;
}

interface Open {
  arrived: unknown[];
  finish(): void;
}

export function createRabbitGathering(options: {
  queuePrefix: string;
  busId: string;
  log: Log;
}): RabbitGathering {
  const { log } = options;
  const exchange = gatherExchange(options.queuePrefix);
  const answerers = new Map<string, Answer>();
  const open = new Map<string, Open>();
  let channel: Channel | undefined;
  let sequence = 0;
  let closed = false;

  function onReply(message: ConsumeMessage | null): void {
    const id: unknown = message?.properties.correlationId;
    const gathering = typeof id === 'string' ? open.get(id) : undefined;
    // A late answer, after its window: nobody waits for it any more.
    if (message === null || gathering === undefined) return;
    try {
      gathering.arrived.push(JSON.parse(message.content.toString('utf8')));
    } catch {
      log.warn({ correlationId: id }, 'malformed gather answer ignored');
    }
  }

  /** Answers one question on the channel it came from (direct reply-to demands that channel). */
  function onQuestion(ch: Channel, answer: Answer) {
    return (message: ConsumeMessage | null): void => {
      if (message === null) return;
      const { replyTo, correlationId } = message.properties as { replyTo?: unknown; correlationId?: unknown };
      if (typeof replyTo !== 'string' || typeof correlationId !== 'string') return;
      answer()
        .then((value) => {
          if (channel !== ch) return;
          ch.sendToQueue(replyTo, Buffer.from(JSON.stringify(value)), {
            correlationId,
            contentType: 'application/json',
          });
        })
        .catch((err: unknown) => log.warn({ err }, 'gather answer failed; the asker goes without it'));
    };
  }

  async function bind(ch: Channel, topic: string, answer: Answer): Promise<void> {
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await ch.bindQueue(queue, exchange, topic);
    await ch.consume(queue, onQuestion(ch, answer), { noAck: true });
  }

  return {
    async attach(model, lost) {
      const ch = await model.createChannel();
      ch.on('error', (err: unknown) => log.warn({ err }, 'gather channel error'));
      ch.on('close', () => {
        if (channel === ch) channel = undefined;
        if (!closed) lost();
      });
      await ch.assertExchange(exchange, 'direct', { durable: true });
      // Direct reply-to demands that the consumer exist before the first question goes out.
      await ch.consume(DIRECT_REPLY_TO, onReply, { noAck: true });
      for (const [topic, answer] of answerers) await bind(ch, topic, answer);
      channel = ch;
    },

    gather(topic, windowMs) {
      const ch = channel;
      if (closed || ch === undefined) return Promise.resolve([]);
      const id = `${options.busId}.gather.${++sequence}`;
      return new Promise((resolve) => {
        const gathering: Open = {
          arrived: [],
          finish() {
            clearTimeout(timer);
            open.delete(id);
            resolve(gathering.arrived);
          },
        };
        const timer = setTimeout(() => gathering.finish(), windowMs);
        open.set(id, gathering);
        try {
          ch.publish(exchange, topic, Buffer.from('{}'), {
            replyTo: DIRECT_REPLY_TO,
            correlationId: id,
            // A question nobody took within its window is dropped, not answered late.
            expiration: String(windowMs),
          });
        } catch (err) {
          log.warn({ err, topic }, 'gather question not sent');
          gathering.finish();
        }
      });
    },

    async answer(topic, answer) {
      if (closed) return;
      if (answerers.has(topic)) throw new Error(`already answering ${topic}`);
      answerers.set(topic, answer);
      // While disconnected, the next connection's attach binds it.
      const ch = channel;
      if (ch !== undefined) await bind(ch, topic, answer);
    },

    close() {
      closed = true;
      channel = undefined;
      [...open.values()].forEach((gathering) => gathering.finish());
    },
  };
}
