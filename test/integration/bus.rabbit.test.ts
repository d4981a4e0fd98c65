/**
 * The RabbitMQ bus against the machine's broker (queues under a unique prefix, deleted at the
 * end). Connection failures are made with a TCP proxy between a bus and the broker: dropping
 * its sockets is a lost connection, closing its listener an unreachable broker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Handler, PaymentCommand, Reply, StockCommand } from '../../src/bus/bus.js';
import { createRabbitBus, type RabbitBus, type RabbitBusOptions } from '../../src/bus/rabbit.js';
import { gatherExchange } from '../../src/bus/rabbit-gather.js';
import { commandQueue, deadLetterQueue, PARTICIPANTS } from '../../src/bus/rabbit-topology.js';
import { DEFAULT_QUEUE_TYPE, type QueueType } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { createTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const BROKER_PORT = 5672;
const URL = `amqp://guest:guest@127.0.0.1:${BROKER_PORT}`;
const PREFIX = `t-${randomUUID()}.`;
/** Every prefix a test declared queues under, with their kind, to purge and delete them. */
const prefixes = new Map<string, { type: QueueType; single?: boolean }>([
  [PREFIX, { type: DEFAULT_QUEUE_TYPE }],
]);
/** The command queue of the shared PREFIX. */
const queueOf = (participant: 'stock' | 'payment'): string =>
  commandQueue(PREFIX, participant, DEFAULT_QUEUE_TYPE, false);
const OK: Reply = { ok: true };

let admin: ChannelModel;
let channel: Channel;
const buses: RabbitBus[] = [];
const proxies: TcpProxy[] = [];

async function newBus(options: Partial<RabbitBusOptions> = {}): Promise<RabbitBus> {
  const bus = await createRabbitBus({
    url: URL,
    queuePrefix: PREFIX,
    commandTtlMs: 30_000,
    log: silentLog(),
    ...options,
  });
  buses.push(bus);
  return bus;
}

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function reserve(sagaId: string): StockCommand {
  return { type: 'reserve', sagaId, orderId: 'o', items: [['i1', 1]] };
}

function sagaIds(commands: readonly StockCommand[]): string[] {
  return commands.flatMap((c) => (c.type === 'price' ? [] : [c.sagaId]));
}

const answerAll: Handler<StockCommand> = (commands) => Promise.resolve(commands.map(() => OK));

/** Messages now in a queue, taken off it. */
async function drain(queue: string): Promise<GetMessage[]> {
  const taken: GetMessage[] = [];
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message === false) return taken;
    taken.push(message);
  }
}

/** A proxy to the broker, and the URL of the broker through it. */
async function createProxy(): Promise<TcpProxy & { url: string }> {
  const proxy = await createTcpProxy(BROKER_PORT);
  proxies.push(proxy);
  return Object.assign(proxy, { url: `amqp://guest:guest@127.0.0.1:${proxy.port}` });
}

async function purge(prefix: string, type: QueueType, single = false): Promise<void> {
  for (const participant of PARTICIPANTS)
    await channel.purgeQueue(commandQueue(prefix, participant, type, single));
  await channel.purgeQueue(deadLetterQueue(prefix));
}

beforeAll(async () => {
  admin = await connect(URL);
  channel = await admin.createChannel();
  // Declares the topology so the tests can purge and inspect it.
  buses.push(await createRabbitBus({ url: URL, queuePrefix: PREFIX, commandTtlMs: 1000, log: silentLog() }));
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
  for (const [prefix, { type, single }] of prefixes) await purge(prefix, type, single);
});

afterAll(async () => {
  for (const [prefix, { type, single }] of prefixes) {
    for (const participant of PARTICIPANTS)
      await channel.deleteQueue(commandQueue(prefix, participant, type, single ?? false));
    await channel.deleteQueue(deadLetterQueue(prefix));
    await channel.deleteExchange(deadLetterQueue(prefix));
    await channel.deleteExchange(gatherExchange(prefix));
  }
  await admin.close();
});

describe('RabbitMQ bus: request and reply', () => {
  it('answers each request through the broker', async () => {
    const bus = await newBus();
    await bus.serve('stock', (commands) =>
      Promise.resolve(
        commands.map((c) => (c.type === 'price' ? { ok: true as const, price: Number(c.itemId) } : OK)),
      ),
    );
    await bus.serve('payment', (commands: readonly PaymentCommand[]) =>
      Promise.resolve(
        commands.map((c) =>
          c.type !== 'record' && c.amount > 10
            ? { ok: false as const, reason: 'insufficient_credit' as const }
            : OK,
        ),
      ),
    );
    expect(await bus.request('stock', { type: 'price', itemId: '42' }, 5000)).toEqual({
      ok: true,
      price: 42,
    });
    const charge = { type: 'charge', sagaId: 's', orderId: 'o', userId: 'u' } as const;
    expect(await bus.request('payment', { ...charge, amount: 5 }, 5000)).toEqual(OK);
    expect(await bus.request('payment', { ...charge, amount: 50 }, 5000)).toEqual({
      ok: false,
      reason: 'insufficient_credit',
    });
  });

  it("carries the operators' record queries and their answers, found or not", async () => {
    const bus = await newBus();
    await bus.serve('stock', (commands) =>
      Promise.resolve(
        commands.map((c) =>
          c.type === 'record' && c.sagaId === 's1' ? { ok: true as const, record: 'applied' } : OK,
        ),
      ),
    );
    await bus.serve('payment', (commands) =>
      Promise.resolve(
        commands.map((c) =>
          c.type === 'record' ? { ok: true as const, record: 'insufficient_credit' } : OK,
        ),
      ),
    );
    expect(await bus.request('stock', { type: 'record', sagaId: 's1' }, 5000)).toEqual({
      ok: true,
      record: 'applied',
    });
    expect(await bus.request('stock', { type: 'record', sagaId: 's2' }, 5000)).toEqual(OK);
    expect(await bus.request('payment', { type: 'record', sagaId: 's1' }, 5000)).toEqual({
      ok: true,
      record: 'insufficient_credit',
    });
  });

  it('packs concurrent requests into fewer messages than commands, each answered in order', async () => {
    const bus = await newBus();
    let calls = 0;
    await bus.serve('stock', (commands) => {
      calls += 1;
      return Promise.resolve(
        commands.map((c) => (c.type === 'price' ? { ok: true as const, price: Number(c.itemId) } : OK)),
      );
    });
    const n = 300;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) => bus.request('stock', { type: 'price', itemId: String(i) }, 10_000)),
    );
    expect(replies).toEqual(Array.from({ length: n }, (_, i) => ({ ok: true, price: i })));
    const stats = bus.stats();
    expect(stats.commandsPublished).toBe(n);
    expect(stats.messagesPublished).toBeLessThan(n / 10);
    expect(calls).toBe(stats.messagesPublished);
  });

  it('resolves undefined when no reply comes in time', async () => {
    const bus = await newBus();
    expect(
      await bus.request(
        'payment',
        { type: 'refund', sagaId: 's', orderId: 'o', userId: 'u', amount: 1 },
        100,
      ),
    ).toBeUndefined();
  });

  it('sends a handler that throws the same commands again', async () => {
    const bus = await newBus({ retryDelayMs: 10 });
    let calls = 0;
    await bus.serve('stock', (commands) => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('redis down')) : answerAll(commands);
    });
    expect(await bus.request('stock', reserve('s1'), 10_000)).toEqual(OK);
    expect(calls).toBe(2);
    expect(bus.stats().handlerFailures).toBe(1);
  });
});

describe('RabbitMQ bus: durability and redelivery', () => {
  it('keeps a confirmed command after its publisher is gone until a consumer takes it', async () => {
    const publisher = await newBus();
    const unanswered = publisher.request('stock', reserve('durable'), 10_000);
    await until(() => (publisher.stats().batchesConfirmed === 1 ? true : undefined), 'the confirm');
    await publisher.close();
    expect(await unanswered).toBeUndefined();
    const { messageCount } = await channel.checkQueue(queueOf('stock'));
    expect(messageCount).toBe(1);

    const seen: string[] = [];
    const consumer = await newBus();
    await consumer.serve('stock', (commands) => {
      seen.push(...sagaIds(commands));
      return answerAll(commands);
    });
    await until(() => (seen.length > 0 ? true : undefined), 'the delivery');
    expect(seen).toEqual(['durable']);
  });

  it('redelivers to another consumer when a consumer dies before acknowledging', async () => {
    const proxy = await createProxy();
    const dying = await newBus({ url: proxy.url });
    let died = false;
    await dying.serve('stock', async (commands) => {
      died = true;
      await proxy.stop();
      return commands.map(() => OK);
    });
    const requester = await newBus();
    const reply = requester.request('stock', reserve('redeliver'), 20_000);
    await until(() => (died ? true : undefined), 'the first consumer');

    const seen: string[] = [];
    const survivor = await newBus();
    await survivor.serve('stock', (commands) => {
      seen.push(...sagaIds(commands));
      return answerAll(commands);
    });
    expect(await reply).toEqual(OK);
    expect(seen).toEqual(['redeliver']);
  });

  it('waits on close for in-flight handlers and acknowledges their messages', async () => {
    const bus = await newBus();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    await bus.serve('stock', async (commands) => {
      entered = true;
      await gate;
      return commands.map(() => OK);
    });
    const requester = await newBus();
    const reply = requester.request('stock', reserve('graceful'), 10_000);
    await until(() => (entered ? true : undefined), 'the handler');
    let closed = false;
    const closing = bus.close().then(() => (closed = true));
    await sleep(50);
    expect(closed).toBe(false);
    release();
    await closing;
    expect(await reply).toEqual(OK);
    expect((await channel.checkQueue(queueOf('stock'))).messageCount).toBe(0);
  });
});

describe('RabbitMQ bus: classic queues', () => {
  it('carries commands as transient messages in a classic queue of its own name', async () => {
    const prefix = `t-${randomUUID()}.`;
    prefixes.set(prefix, { type: 'classic' });
    const publisher = await newBus({ queuePrefix: prefix, queueType: 'classic' });
    const unanswered = publisher.request('stock', reserve('transient'), 10_000);
    await until(() => (publisher.stats().batchesConfirmed === 1 ? true : undefined), 'the confirm');
    const queue = commandQueue(prefix, 'stock', 'classic', false);
    expect(queue).toBe(`${prefix}stock.commands.classic`);
    const [message] = await drain(queue);
    // 1 = transient: the broker keeps it in memory only (README "What a broker crash costs").
    expect(message?.properties.deliveryMode).toBe(1);
    await publisher.close();
    expect(await unanswered).toBeUndefined();

    const requester = await newBus({ queuePrefix: prefix, queueType: 'classic' });
    const server = await newBus({ queuePrefix: prefix, queueType: 'classic' });
    await server.serve('stock', answerAll);
    expect(await requester.request('stock', reserve('classic'), 10_000)).toEqual(OK);
  });
});

describe('RabbitMQ bus: one active consumer, the others standing by', () => {
  it('hands every command to the first replica, and to the standby once the first is gone', async () => {
    const prefix = `t-${randomUUID()}.`;
    prefixes.set(prefix, { type: 'classic', single: true });
    const options = { queuePrefix: prefix, queueType: 'classic', singleActiveConsumer: true } as const;
    const handledBy: string[] = [];
    const replica =
      (name: string): Handler<StockCommand> =>
      (commands) => {
        for (const _ of commands) handledBy.push(name);
        return Promise.resolve(commands.map(() => OK));
      };
    const requester = await newBus(options);
    const active = await newBus(options);
    await active.serve('stock', replica('active'));
    const standby = await newBus(options);
    await standby.serve('stock', replica('standby'));
    expect(commandQueue(prefix, 'stock', 'classic', true)).toBe(`${prefix}stock.commands.classic.single`);

    const send = (from: number): Promise<(Reply | undefined)[]> =>
      Promise.all(
        Array.from({ length: 40 }, (_, i) => requester.request('stock', reserve(`sac-${from + i}`), 10_000)),
      );
    expect(await send(0)).toEqual(Array.from({ length: 40 }, () => OK));
    // Two consumers of an ordinary queue would each get some of these (round robin).
    expect(handledBy.filter((n) => n === 'active')).toHaveLength(40);

    await active.close();
    handledBy.length = 0;
    expect(await send(40)).toEqual(Array.from({ length: 40 }, () => OK));
    expect(handledBy.filter((n) => n === 'standby')).toHaveLength(40);
  });
});

describe('RabbitMQ bus: expiry and poison messages', () => {
  it('drops expired commands unanswered and answers the live ones of the same message', async () => {
    const replies: string[] = [];
    await channel.consume('amq.rabbitmq.reply-to', (m) => m !== null && replies.push(m.content.toString()), {
      noAck: true,
    });
    const now = Date.now();
    const envelopes = [
      { command: reserve('old'), expiresAt: now - 1000 },
      { command: reserve('new'), expiresAt: now + 30_000 },
    ];
    channel.sendToQueue(queueOf('stock'), Buffer.from(JSON.stringify(envelopes)), {
      replyTo: 'amq.rabbitmq.reply-to',
      correlationId: 'raw-1',
    });
    const bus = await newBus();
    const seen: string[] = [];
    await bus.serve('stock', (commands) => {
      seen.push(...sagaIds(commands));
      return answerAll(commands);
    });
    await until(() => replies[0], 'the reply');
    expect(JSON.parse(replies[0] ?? '')).toEqual([null, OK]);
    expect(seen).toEqual(['new']);
    expect(bus.stats().expiredDropped).toBe(1);
  });

  it('never hands a command to a consumer after its time to live', async () => {
    const shortLived = await newBus({ commandTtlMs: 100 });
    expect(await shortLived.request('stock', reserve('stale'), 300)).toBeUndefined();
    const bus = await newBus();
    const seen: string[] = [];
    await bus.serve('stock', (commands) => {
      seen.push(...sagaIds(commands));
      return answerAll(commands);
    });
    expect(await bus.request('stock', reserve('fresh'), 10_000)).toEqual(OK);
    expect(seen).toEqual(['fresh']);
  });

  it('dead-letters malformed messages and keeps serving', async () => {
    const queue = queueOf('stock');
    const withReply = { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'bad' };
    const extraField = [{ command: { ...reserve('x'), extra: 1 }, expiresAt: Date.now() + 30_000 }];
    // Expired by the broker: dead-lettered too, but an expiry is no poison, so it is dropped.
    const stale = [{ command: reserve('stale'), expiresAt: Date.now() + 1 }];
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(stale)), { ...withReply, expiration: '1' });
    channel.sendToQueue(queue, Buffer.from('not json {'), withReply);
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(extraField)), withReply);
    const noReplyTo = JSON.stringify([{ command: reserve('y'), expiresAt: Date.now() + 30_000 }]);
    channel.sendToQueue(queue, Buffer.from(noReplyTo));
    await sleep(100);
    const bus = await newBus();
    await bus.serve('stock', answerAll);
    const dead: GetMessage[] = [];
    await until(async () => {
      dead.push(...(await drain(deadLetterQueue(PREFIX))));
      return dead.length >= 3 ? true : undefined;
    }, 'three dead letters');
    expect(dead.map((m) => m.content.toString()).sort()).toEqual(
      [JSON.stringify(extraField), 'not json {', noReplyTo].sort(),
    );
    expect(bus.stats().deadLettered).toBe(3);
    expect(await bus.request('stock', reserve('after'), 10_000)).toEqual(OK);
    expect(await drain(deadLetterQueue(PREFIX))).toEqual([]);
  });

  it('dead-letters a message that keeps crashing its handler (quorum queues)', async () => {
    const prefix = `t-${randomUUID()}.`;
    prefixes.set(prefix, { type: 'quorum' });
    const bus = await newBus({ queuePrefix: prefix, queueType: 'quorum', deliveryLimit: 2, retryDelayMs: 5 });
    let calls = 0;
    await bus.serve('stock', () => {
      calls += 1;
      return Promise.reject(new Error('poison'));
    });
    expect(await bus.request('stock', reserve('poison'), 300)).toBeUndefined();
    const [dead] = await until(async () => {
      const got = await drain(deadLetterQueue(prefix));
      return got.length > 0 ? got : undefined;
    }, 'the dead letter');
    expect(dead?.properties.headers?.['x-first-death-reason']).toBe('delivery_limit');
    expect(calls).toBe(3);
  });
});

describe('RabbitMQ bus: connection loss', () => {
  /** A stock server, and a client whose connection (the server's too if asked) runs through a proxy to cut. */
  async function clientBehindProxy({ serverToo = false } = {}) {
    const proxy = await createProxy();
    const server = await newBus(serverToo ? { url: proxy.url } : {});
    await server.serve('stock', answerAll);
    const client = await newBus({ url: proxy.url });
    return { proxy, server, client };
  }

  it('reconnects, resubscribes and answers after the connection is lost', async () => {
    const { proxy, server, client } = await clientBehindProxy({ serverToo: true });
    expect(await client.request('stock', reserve('before'), 10_000)).toEqual(OK);
    proxy.drop();
    expect(await client.request('stock', reserve('after'), 15_000)).toEqual(OK);
    expect(server.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(client.stats().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('publishes again a batch whose confirm was cut off by the lost connection', async () => {
    const { proxy, client } = await clientBehindProxy();
    const reply = client.request('stock', reserve('unconfirmed'), 15_000);
    // Runs right after the flush that published the batch, before any confirm can arrive.
    setImmediate(() => proxy.drop());
    expect(await reply).toEqual(OK);
    expect(client.stats().batchesRetried).toBe(1);
    expect(client.stats().reconnects).toBe(1);
  });

  it('holds requests made while the broker is unreachable until it is back', async () => {
    const { proxy, client } = await clientBehindProxy();
    await proxy.stop();
    const reply = client.request('stock', reserve('queued'), 15_000);
    await sleep(300);
    await proxy.start();
    expect(await reply).toEqual(OK);
  });
});

describe('RabbitMQ bus: gathering from every replica', () => {
  const byInstance = (answers: unknown[]) =>
    answers.map((a) => (a as { instance: string }).instance).sort((x, y) => x.localeCompare(y));

  it('gets one answer from each process answering the topic, none from the others', async () => {
    const [a, b, asker] = [await newBus(), await newBus(), await newBus()];
    await a.answer('order.metrics', () => Promise.resolve({ instance: 'a' }));
    await b.answer('order.metrics', () => Promise.resolve({ instance: 'b' }));
    await asker.answer('other.topic', () => Promise.resolve({ instance: 'not-asked' }));
    const answers = await asker.gather('order.metrics', 1000);
    console.log('gathered over RabbitMQ:', answers);
    expect(byInstance(answers)).toEqual(['a', 'b']);
    // The asker's own answer comes through the broker like the others'.
    expect(byInstance(await a.gather('order.metrics', 1000))).toEqual(['a', 'b']);
  });

  it('answers again after its connection is lost and comes back', async () => {
    const proxy = await createProxy();
    const answering = await newBus({ url: proxy.url });
    await answering.answer('order.metrics', () => Promise.resolve({ instance: 'comes-back' }));
    const asker = await newBus();
    expect(byInstance(await asker.gather('order.metrics', 1000))).toEqual(['comes-back']);
    proxy.drop();
    await until(
      () => (answering.stats().reconnects >= 1 && answering.connected() ? true : undefined),
      'reconnect',
    );
    expect(byInstance(await asker.gather('order.metrics', 1000))).toEqual(['comes-back']);
  });

  it('asks and answers again after the broker closed its gather channel alone', async () => {
    const bus = await newBus();
    await bus.answer('order.metrics', () => Promise.resolve({ instance: 'self' }));
    expect(byInstance(await bus.gather('order.metrics', 1000))).toEqual(['self']);
    // A question to a missing exchange is a channel error: the broker closes that channel
    // and leaves the connection up.
    await channel.deleteExchange(gatherExchange(PREFIX));
    expect(await bus.gather('order.metrics', 300)).toEqual([]);
    await until(() => (bus.stats().reconnects >= 1 && bus.connected() ? true : undefined), 'reconnect');
    // The new connection declared the exchange and bound the answer again.
    expect(byInstance(await bus.gather('order.metrics', 1000))).toEqual(['self']);
  });
});
