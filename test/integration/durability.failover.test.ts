/**
 * No write is acknowledged before a replica has it (issue 11.1), proven on real Redis
 * processes: both replicas stall (SIGSTOP, their links cut so nothing reaches them), writes
 * and saga charges are in flight, the master is SIGKILLed, the replicas resume (SIGCONT) and
 * Sentinel promotes one. Every acknowledged write must be on the new master, and re-sent
 * writes and charges (same Idempotency-Key, same saga) never apply twice.
 * Private redis-server and Sentinel processes, each stopped by its PID.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { PaymentCommand } from '../../src/bus/bus.js';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { connectRedis, createDurability } from '../../src/lib/redis.js';
import { paymentCommands } from '../../src/services/payment/commands.js';
import { createRedisPaymentStore } from '../../src/services/payment/store.redis.js';
import { redisProcesses, stop } from '../support/redis.js';

const processes = redisProcesses();
afterAll(() => processes.stopAll());

const log = silentLog();
const WRITES = 10;

/** Settles `attempt` until it resolves (a client or a saga re-sending), at most `times` times. */
async function untilDone<T>(attempt: () => Promise<T>, times = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= times) throw error;
    }
  }
}

describe('a master killed while its replicas stall', () => {
  it('loses no acknowledged write and charges nothing twice', async () => {
    const master = await processes.server();
    const replicas = [
      await processes.server('--replicaof', '127.0.0.1', String(master.port)),
      await processes.server('--replicaof', '127.0.0.1', String(master.port)),
    ];
    const direct = new Redis(master.url);
    await vi.waitFor(async () => expect(await direct.info('replication')).toContain('connected_slaves:2'), {
      timeout: 10_000,
      interval: 100,
    });
    const sentinel = await processes.sentinel('payment', master.port);
    const config = { ...loadConfig().redis, sentinels: [{ host: '127.0.0.1', port: sentinel.port }] };
    const redis = connectRedis(config, 'payment', log);
    const durable = createDurability(redis, { replicas: 1, timeoutMs: 200, maxWaitMs: 60_000, log });
    const store = createRedisPaymentStore(redis, { prefix: 'p:', recordTtlMs: 60_000, durable });
    const handle = paymentCommands(store);
    await store.createUser('u');
    expect((await store.addFunds('u', 1000, 'seed')).ok).toBe(true);
    // Both replicas hold everything so far, so Sentinel may promote either.
    for (const replica of replicas) {
      const reader = new Redis(replica.url);
      await vi.waitFor(async () => expect(await reader.get('p:user:u')).toBe('1000'), { timeout: 10_000 });
      reader.disconnect();
    }

    // Both replicas stall, and their links are cut so that no later write reaches them.
    for (const replica of replicas) replica.child.kill('SIGSTOP');
    await direct.call('CLIENT', 'KILL', 'TYPE', 'replica');
    const acknowledged: string[] = [];
    const add = (i: number) => store.addFunds('u', i, `add-${i}`);
    const charge = (i: number): PaymentCommand => ({
      type: 'charge',
      sagaId: `s${i}`,
      orderId: `o${i}`,
      userId: 'u',
      amount: 1,
    });
    const adds = Array.from({ length: WRITES }, (_, i) =>
      add(i + 1).then(() => acknowledged.push(`add-${i + 1}`)),
    );
    // A participant replies only once its effect is durable; until then the saga re-sends.
    const charges = Array.from({ length: WRITES }, (_, i) =>
      handle([charge(i + 1)]).then(() => acknowledged.push(`s${i + 1}`)),
    );
    // WAIT has fallen short at least once: before the fix the writes were acknowledged here.
    await vi.waitFor(() => expect(durable.stats().shortfalls).toBeGreaterThan(0), { timeout: 10_000 });
    const acknowledgedBeforeKill = acknowledged.length;

    await stop(master.child, 'SIGKILL');
    direct.disconnect();
    for (const replica of replicas) replica.child.kill('SIGCONT');
    await Promise.allSettled([...adds, ...charges]);
    const acknowledgedInFlight = [...acknowledged];

    // Whatever was refused (never what was acknowledged) is sent again, as a client with its
    // key or the saga would.
    for (let i = 1; i <= WRITES; i++) {
      if (!acknowledged.includes(`add-${i}`)) await untilDone(() => add(i));
      if (!acknowledged.includes(`s${i}`)) await untilDone(() => handle([charge(i)]));
    }
    // Each charge once more, as a saga's late re-send: answered from its record.
    for (let i = 1; i <= WRITES; i++) expect(await handle([charge(i)]), `s${i}`).toEqual([{ ok: true }]);

    const added = (WRITES * (WRITES + 1)) / 2;
    const credit = await store.findCredit('u');
    console.log(
      `acknowledged before the kill: ${acknowledgedBeforeKill}, in flight then acknowledged: ` +
        `${acknowledgedInFlight.length}/${2 * WRITES}; credit ${credit} (expected ${1000 + added - WRITES}); ` +
        `durability ${JSON.stringify(durable.stats())}`,
    );
    const sentinelClient = new Redis(sentinel.url);
    const [, promoted] = (await sentinelClient.call(
      'SENTINEL',
      'get-master-addr-by-name',
      'payment',
    )) as string[];
    sentinelClient.disconnect();
    expect(Number(promoted)).not.toBe(master.port);
    expect(credit).toBe(1000 + added - WRITES);
    expect(acknowledgedBeforeKill).toBe(0);
    await store.close();
  });
});
