/**
 * The RabbitMQ implementation of the Bus (docs/architecture.md, Messaging), with the semantics of `local.ts`:
 * commands batched naturally into quorum or classic queues with publisher confirms, replies by
 * direct reply-to, expired commands dropped unanswered, at-least-once delivery.
 *
 * Library: amqplib 2.x. It exposes the protocol as it is (confirm channels, direct reply-to,
 * per-message expiration, nack/reject), ships its own types, and since 1.1 reconnects with
 * jittered exponential back-off, running our `setup` on every new connection before it is
 * used. Channels are not recovered by it, so `setup` re-declares the topology, re-opens the
 * publishing channel (whose unconfirmed batches are then re-published) and re-subscribes the
 * consumers. That keeps every recovery step (which batches go again, when consumers return)
 * explicit here; rabbitmq-client, which recovers channels by itself, is not installed.
 *
 * Split by concept: rabbit-topology (queues), rabbit-codec (wire format and validation),
 * rabbit-publisher (batching, confirms, replies), rabbit-consumer (ack/nack/reject),
 * rabbit-gather (operators' scatter-gather between replicas, gather.ts).
 */
import { randomUUID } from 'node:crypto';
import { connect, type ChannelModel } from 'amqplib';
import { DEFAULT_QUEUE_TYPE, type QueueType } from '../lib/config.js';
import type { Log } from '../lib/log.js';
import type { BusMetrics } from '../lib/metrics.js';
import type { Bus, Commands, Handler, Participant } from './bus.js';
import type { Gathering } from './gather.js';
import { createConsumer, type Consumer, type ConsumerStats } from './rabbit-consumer.js';
import { createPublisher, type PublisherStats } from './rabbit-publisher.js';
import { createRabbitGathering } from './rabbit-gather.js';
import { commandQueue, declareTopology } from './rabbit-topology.js';

export interface RabbitBusOptions {
  /** `amqp://user:pass@host:port/vhost`; a `heartbeat` query parameter overrides the 10 s default. */
  url: string;
  /** Prepended to every queue and exchange name, to share a broker (tests, several systems). */
  queuePrefix: string;
  /** A command older than this is dropped unapplied (message expiration and envelope). */
  commandTtlMs: number;
  log: Log;
  /** Observes publish->confirm latency and commands per message. */
  metrics?: BusMetrics;
  /** Unacknowledged messages (each a batch) a consumer holds at once. Default 16. */
  prefetch?: number;
  /** Unconfirmed batches per command queue before new commands wait for a confirm. Default 4. */
  batchesInFlight?: number;
  /** Command queues' type (rabbit-topology.ts). Default DEFAULT_QUEUE_TYPE. */
  queueType?: QueueType;
  /** One consumer of each command queue at a time, the others standing by (rabbit-topology.ts). */
  singleActiveConsumer?: boolean;
  /** Deliveries of one message before a quorum queue dead-letters it. Default 20 (~30 s of back-off). */
  deliveryLimit?: number;
  /** First back-off before a message whose handler threw is redelivered. Default 50 ms. */
  retryDelayMs?: number;
  /** Failed attempts at the first connection before the factory rejects. Default 30. */
  connectRetries?: number;
}

export type RabbitBusStats = PublisherStats & ConsumerStats & { reconnects: number };

export interface RabbitBus extends Bus, Gathering {
  /** Whether a connection is up with its topology, publisher and consumers set up (for /ready). */
  connected(): boolean;
  /** Counters for metrics and tests (e.g. commands per message shows the batching). */
  stats(): RabbitBusStats;
}

const HEARTBEAT_S = 10;
const CONNECT_TIMEOUT_MS = 5000;
const MAX_RECONNECT_DELAY_MS = 2000;

function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(HEARTBEAT_S));
  return parsed.toString();
}

export async function createRabbitBus(options: RabbitBusOptions): Promise<RabbitBus> {
  const { log, queuePrefix } = options;
  const busId = randomUUID();
  const deliveryLimit = options.deliveryLimit ?? 20;
  const queueType = options.queueType ?? DEFAULT_QUEUE_TYPE;
  const singleActive = options.singleActiveConsumer ?? false;
  const publisher = createPublisher({
    queuePrefix,
    queueType,
    singleActive,
    commandTtlMs: options.commandTtlMs,
    batchesInFlight: options.batchesInFlight ?? 4,
    busId,
    log,
    metrics: options.metrics,
  });
  const gathering = createRabbitGathering({ queuePrefix, busId, log });
  const consumers = new Map<Participant, Consumer>();
  let model: ChannelModel | undefined;
  let connects = 0;
  let closing = false;

  /** Drops the whole connection; the recovery opens a new one and runs `setup` again. */
  function reconnect(of: ChannelModel): () => void {
    return () => {
      if (!closing && model === of) void of.close().catch(() => undefined);
    };
  }

  async function setup(fresh: ChannelModel): Promise<void> {
    try {
      // Before the publisher: requests are answered once it is attached, but the connection
      // counts as made (`connect`, reconnects) only when setup ends; keep that gap as it was.
      await gathering.attach(fresh, reconnect(fresh));
      const channel = await fresh.createConfirmChannel();
      channel.on('error', (err: unknown) => log.warn({ err }, 'publishing channel error'));
      channel.on('close', reconnect(fresh));
      await declareTopology(channel, queuePrefix, deliveryLimit, queueType, singleActive);
      await publisher.attach(channel);
      model = fresh;
      await Promise.all([...consumers.values()].map((consumer) => consumer.attach(fresh, reconnect(fresh))));
    } catch (err) {
      // The recovery closes `fresh` and tries again later; nothing may use it meanwhile.
      if (model === fresh) model = undefined;
      throw err;
    }
  }

  const connection = await connect(withHeartbeat(options.url), {
    noDelay: true,
    timeout: CONNECT_TIMEOUT_MS,
    clientProperties: { connection_name: `${queuePrefix}bus ${busId}` },
    recovery: {
      initialDelay: 100,
      maxDelay: MAX_RECONNECT_DELAY_MS,
      // amqplib spreads each reconnect pause by ±jitter: buses that lost a restarted broker
      // together do not come back in step. 0.2 is its default; stated so it stays on.
      jitter: 0.2,
      initialMaxRetries: options.connectRetries ?? 30,
      waitForConnect: false,
      setup,
    },
  });
  connection.on('error', (err: unknown) => log.warn({ err }, 'AMQP connection error'));
  connection.on('connect', () => {
    connects += 1;
    log.info({ reconnect: connects > 1 }, 'AMQP connected');
  });
  connection.on('disconnect', (err: unknown) => {
    model = undefined;
    log.warn({ err }, 'AMQP connection lost; reconnecting');
  });
  connection.on('reconnect-scheduled', (info: { attempt: number; delay: number; error: unknown }) =>
    log.info({ attempt: info.attempt, delayMs: info.delay, err: info.error }, 'AMQP reconnect scheduled'),
  );
  connection.on('reconnect-failed', (err: unknown) => log.error({ err }, 'AMQP reconnection given up'));
  await connection.waitForConnect();

  return {
    request: (to, command, timeoutMs) => publisher.request(to, command, timeoutMs),

    async serve<P extends Participant>(participant: P, handler: Handler<Commands[P]>): Promise<void> {
      if (closing) throw new Error('bus is closed');
      if (consumers.has(participant)) throw new Error(`already serving ${participant}`);
      const consumer = createConsumer({
        participant,
        queue: commandQueue(queuePrefix, participant, queueType, singleActive),
        handler,
        prefetch: options.prefetch ?? 16,
        retryDelayMs: options.retryDelayMs ?? 50,
        log,
      });
      consumers.set(participant, consumer);
      // While disconnected, or if this attempt fails with the connection, the next
      // connection's setup subscribes it.
      const current = model;
      if (current !== undefined) {
        await consumer
          .attach(current, reconnect(current))
          .catch((err: unknown) => log.warn({ participant, err }, 'subscribing deferred to reconnection'));
      }
    },

    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      await Promise.all([...consumers.values()].map((consumer) => consumer.close()));
      publisher.close();
      gathering.close();
      model = undefined;
      await connection.close();
    },

    gather: gathering.gather,
    answer: gathering.answer,

    connected: () => model !== undefined,

    stats(): RabbitBusStats {
      const total: ConsumerStats = {
        messagesHandled: 0,
        commandsHandled: 0,
        expiredDropped: 0,
        handlerFailures: 0,
        deadLettered: 0,
      };
      for (const consumer of consumers.values()) {
        const s = consumer.stats();
        for (const key of Object.keys(total) as (keyof ConsumerStats)[]) total[key] += s[key];
      }
      return { ...publisher.stats(), ...total, reconnects: Math.max(0, connects - 1) };
    },
  };
}
