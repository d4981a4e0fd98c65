/**
 * The requesting half of the RabbitMQ bus: natural batching, publisher confirms, direct
 * reply-to and per-request timeouts.
 *
 * Natural batching (docs/architecture.md, Messaging and Decisions): commands for a queue
 * wait in a lane; the lane is flushed into ONE message at `setImmediate` while fewer than
 * `batchesInFlight` of its messages are unconfirmed, else as soon as one is confirmed. Under
 * load, batches grow with the confirm latency; when idle, a command leaves in the same tick.
 * Never a timer. Several batches in flight because one alone caps throughput at batch size
 * over the ~5 ms confirm cycle.
 *
 * A batch that is nacked, or whose channel dies before its confirm, goes back to the front
 * of its lane and is published again (on the next connection if need be): a command may
 * then arrive twice, which is harmless because every command is idempotent.
 */
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { performance } from 'node:perf_hooks';
import type { QueueType } from '../lib/config.js';
import type { Log } from '../lib/log.js';
import type { BusMetrics } from '../lib/metrics.js';
import { tracer } from '../lib/tracing.js';
import { envelopeOf, type BusRequest, type Envelope, type Participant, type Reply } from './bus.js';
import { decodeReplies, encodeBatch } from './rabbit-codec.js';
import { commandQueue, PARTICIPANTS } from './rabbit-topology.js';

/** RabbitMQ's pseudo-queue for direct reply-to: replies go straight to this channel. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
/** Bounds a message (~100 B per command) so one batch never hogs the socket or the consumer. */
const MAX_BATCH = 500;

interface Request {
  envelope: Envelope<unknown>;
  settled: boolean;
  /** Correlation ids of every message that carried it (more than one after a re-publish). */
  batches: string[];
  settle(reply: Reply | undefined): void;
}

interface Batch {
  participant: Participant;
  /** performance.now() at publish, for the confirm latency. */
  publishedAt: number;
  requests: Request[];
  /** Requests not settled yet; the batch is forgotten when none is left. */
  open: number;
}

interface Lane {
  participant: Participant;
  queue: string;
  waiting: Request[];
  inFlight: number;
  scheduled: boolean;
}

export interface PublisherStats {
  messagesPublished: number;
  commandsPublished: number;
  batchesConfirmed: number;
  /** Batches nacked or cut off by a lost channel, whose live commands were queued again. */
  batchesRetried: number;
  repliesReceived: number;
}

export interface PublisherOptions {
  queuePrefix: string;
  /** Quorum queues keep every message on disk anyway; into a classic one they go transient. */
  queueType: QueueType;
  /** Whether the command queues are the single-active-consumer ones (rabbit-topology.ts). */
  singleActive: boolean;
  commandTtlMs: number;
  batchesInFlight: number;
  /** Unique per bus, so correlation ids never collide between processes. */
  busId: string;
  log: Log;
  metrics?: BusMetrics | undefined;
}

export interface Publisher {
  request: BusRequest;
  /** Starts publishing on a fresh confirm channel of a new connection. */
  attach(channel: ConfirmChannel): Promise<void>;
  /** Settles every open request with `undefined`; later requests resolve `undefined` at once. */
  close(): void;
  stats(): PublisherStats;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const { log, metrics } = options;
  const lanes = new Map<Participant, Lane>(
    PARTICIPANTS.map((p) => [
      p,
      {
        participant: p,
        queue: commandQueue(options.queuePrefix, p, options.queueType, options.singleActive),
        waiting: [],
        inFlight: 0,
        scheduled: false,
      },
    ]),
  );
  const batches = new Map<string, Batch>();
  const open = new Set<Request>();
  const stats: PublisherStats = {
    messagesPublished: 0,
    commandsPublished: 0,
    batchesConfirmed: 0,
    batchesRetried: 0,
    repliesReceived: 0,
  };
  let channel: ConfirmChannel | undefined;
  /** False while the channel's write buffer is full: wait for 'drain' before adding to it. */
  let writable = true;
  let sequence = 0;
  let closed = false;

  function lane(participant: Participant): Lane {
    const found = lanes.get(participant);
    if (found === undefined) throw new Error(`unknown participant ${participant}`);
    return found;
  }

  function schedule(target: Lane): void {
    if (target.scheduled || channel === undefined || !writable || closed) return;
    if (target.inFlight >= options.batchesInFlight || target.waiting.length === 0) return;
    target.scheduled = true;
    setImmediate(() => flush(target));
  }

  function scheduleAll(): void {
    lanes.forEach(schedule);
  }

  function flush(target: Lane): void {
    target.scheduled = false;
    while (channel !== undefined && writable && !closed && target.inFlight < options.batchesInFlight) {
      if (target.waiting.length === 0) return;
      const now = Date.now();
      // Timed-out requests are skipped here rather than searched for when they time out.
      const requests = target.waiting
        .splice(0, MAX_BATCH)
        .filter((r) => !r.settled && r.envelope.expiresAt > now);
      if (requests.length > 0) publish(channel, target, requests, now);
    }
  }

  function publish(ch: ConfirmChannel, target: Lane, requests: Request[], now: number): void {
    const correlationId = `${options.busId}.${++sequence}`;
    const batch: Batch = {
      participant: target.participant,
      publishedAt: performance.now(),
      requests,
      open: requests.length,
    };
    const envelopes = requests.map((r) => r.envelope);
    // The message lives as long as its longest-lived command; the consumer drops the others.
    const ttl = Math.max(1, Math.max(...envelopes.map((e) => e.expiresAt)) - now);
    batches.set(correlationId, batch);
    requests.forEach((r) => r.batches.push(correlationId));
    target.inFlight += 1;
    try {
      const fits = ch.publish(
        '',
        target.queue,
        encodeBatch(envelopes),
        {
          persistent: options.queueType === 'quorum',
          expiration: String(ttl),
          replyTo: DIRECT_REPLY_TO,
          correlationId,
          contentType: 'application/json',
        },
        (err: unknown) => confirmed(target, batch, err),
      );
      if (!fits) writable = false;
      stats.messagesPublished += 1;
      stats.commandsPublished += requests.length;
      metrics?.published(target.participant, requests.length);
    } catch (err) {
      // The channel closed under us (amqplib throws before registering the callback).
      confirmed(target, batch, err);
    }
  }

  function confirmed(target: Lane, batch: Batch, err: unknown): void {
    target.inFlight -= 1;
    if (err === null || err === undefined) {
      stats.batchesConfirmed += 1;
      metrics?.confirmed(batch.participant, (performance.now() - batch.publishedAt) / 1000);
    } else {
      const again = batch.requests.filter((r) => !r.settled);
      if (again.length > 0) {
        stats.batchesRetried += 1;
        target.waiting.unshift(...again);
        log.warn(
          { queue: target.queue, commands: again.length, err: err instanceof Error ? err : 'nack' },
          'batch not confirmed; publishing again',
        );
      }
    }
    schedule(target);
  }

  function onReply(message: ConsumeMessage | null): void {
    if (message === null) return;
    const correlationId = message.properties.correlationId as unknown;
    const batch = typeof correlationId === 'string' ? batches.get(correlationId) : undefined;
    // A reply to a batch whose requests all timed out is late: nobody waits for it any more.
    if (batch === undefined || typeof correlationId !== 'string') return;
    const replies = decodeReplies(message.content, batch.requests.length);
    if (replies === undefined) {
      log.error({ correlationId }, 'malformed reply ignored');
      return;
    }
    stats.repliesReceived += 1;
    batches.delete(correlationId);
    replies.forEach((reply, i) => {
      if (reply !== null) batch.requests[i]?.settle(reply);
    });
  }

  return {
    request: (to, command, timeoutMs) => {
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const request: Request = {
          envelope: envelopeOf(command, Date.now() + options.commandTtlMs, tracer().traceparent()),
          settled: false,
          batches: [],
          settle(reply) {
            if (request.settled) return;
            request.settled = true;
            clearTimeout(timer);
            open.delete(request);
            for (const id of request.batches) {
              const batch = batches.get(id);
              if (batch !== undefined && --batch.open === 0) batches.delete(id);
            }
            resolve(reply);
          },
        };
        const timer = setTimeout(() => request.settle(undefined), timeoutMs);
        open.add(request);
        const target = lane(to);
        target.waiting.push(request);
        schedule(target);
      });
    },

    async attach(ch: ConfirmChannel): Promise<void> {
      // Direct reply-to demands that the consumer exist before the first publish.
      await ch.consume(DIRECT_REPLY_TO, onReply, { noAck: true });
      ch.on('drain', () => {
        if (channel !== ch) return;
        writable = true;
        scheduleAll();
      });
      ch.on('close', () => {
        if (channel === ch) channel = undefined;
      });
      channel = ch;
      writable = true;
      scheduleAll();
    },

    close(): void {
      closed = true;
      channel = undefined;
      [...open].forEach((request) => request.settle(undefined));
    },

    stats: () => ({ ...stats }),
  };
}
