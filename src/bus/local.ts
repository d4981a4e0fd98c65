/**
 * The in-process bus of `npm start` and of the saga tests. Commands queued in the same
 * event-loop turn reach the participant as one batch, like the RabbitMQ bus's natural
 * batching. Tests pass `faults` to drop, duplicate, delay and so reorder deliveries. Gathers
 * (gather.ts) reach every answerer in this process; faults do not apply to them.
 */
import { tracer } from '../lib/tracing.js';
import { createLocalGathering, type Gathering } from './gather.js';
import {
  envelopeOf,
  traceparentsOf,
  type Bus,
  type Commands,
  type Envelope,
  type Handler,
  type Participant,
  type Reply,
} from './bus.js';

/** Decides the fate of each message: one delay (ms) per copy delivered; [] drops it. */
export interface DeliveryFaults {
  command(to: Participant, command: Commands[Participant]): number[];
  reply(to: Participant, command: Commands[Participant]): number[];
}

interface Pending<C> {
  envelope: Envelope<C>;
  answer: (reply: Reply) => void;
}

type Queues = { [P in Participant]: Pending<Commands[P]>[] };
type Handlers = { [P in Participant]?: Handler<Commands[P]> };

const NO_FAULTS: DeliveryFaults = { command: () => [0], reply: () => [0] };
const REDELIVER_AFTER_ERROR_MS = 20;

export type LocalBus = Bus & Gathering;

export function createLocalBus(options: { commandTtlMs: number; faults?: DeliveryFaults }): LocalBus {
  const faults = options.faults ?? NO_FAULTS;
  const gathering = createLocalGathering();
  const queues: Queues = { stock: [], payment: [] };
  const handlers: Handlers = {};
  const flushing = new Set<Participant>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  function later(delayMs: number, run: () => void): void {
    if (closed) return;
    if (delayMs <= 0) {
      queueMicrotask(run);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, delayMs);
    timers.add(timer);
  }

  function enqueue<P extends Participant>(to: P, pending: Pending<Commands[P]>): void {
    const queue: Pending<Commands[P]>[] = queues[to];
    queue.push(pending);
    scheduleFlush(to);
  }

  /** One batch in flight per participant; what arrives meanwhile forms the next batch. */
  function scheduleFlush(to: Participant): void {
    if (flushing.has(to)) return;
    flushing.add(to);
    setImmediate(() => void flush(to));
  }

  async function flush<P extends Participant>(to: P): Promise<void> {
    const handler: Handler<Commands[P]> | undefined = handlers[to];
    if (closed || handler === undefined) {
      flushing.delete(to);
      return;
    }
    const batch: Pending<Commands[P]>[] = queues[to].splice(0);
    const now = Date.now();
    // An expired command is dropped unapplied and unanswered (docs/architecture.md, saga step 6).
    const live = batch.filter((p) => p.envelope.expiresAt > now);
    try {
      if (live.length > 0) {
        const replies = await handler(
          live.map((p) => p.envelope.command),
          traceparentsOf(live.map((p) => p.envelope)),
        );
        live.forEach((pending, i) => {
          const reply = replies[i];
          if (reply !== undefined) pending.answer(reply);
        });
      }
    } catch {
      // Like a nack with requeue: the commands come again, and they are idempotent.
      later(REDELIVER_AFTER_ERROR_MS, () => live.forEach((p) => enqueue(to, p)));
    }
    flushing.delete(to);
    if (queues[to].length > 0) scheduleFlush(to);
  }

  return {
    request: (to, command, timeoutMs) => {
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        let settled = false;
        const timer = setTimeout(() => settle(undefined), timeoutMs);
        function settle(reply: Reply | undefined): void {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(reply);
        }
        const pending: Pending<typeof command> = {
          envelope: envelopeOf(command, Date.now() + options.commandTtlMs, tracer().traceparent()),
          answer: (reply) => faults.reply(to, command).forEach((delay) => later(delay, () => settle(reply))),
        };
        faults.command(to, command).forEach((delay) => later(delay, () => enqueue(to, pending)));
      });
    },

    serve<P extends Participant>(participant: P, handler: Handler<Commands[P]>): Promise<void> {
      handlers[participant] = handler as Handlers[P];
      if (queues[participant].length > 0) scheduleFlush(participant);
      return Promise.resolve();
    },

    gather: gathering.gather,
    answer: gathering.answer,

    close(): Promise<void> {
      closed = true;
      gathering.close();
      timers.forEach(clearTimeout);
      timers.clear();
      return Promise.resolve();
    },
  };
}
