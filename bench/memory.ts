/**
 * Bytes per committed checkout in each service's Redis (README, "Memory"): the three services in
 * this process on their Redis stores, each store on a private redis-server (no persistence,
 * stopped by its PID), the in-process bus. Orders of one line, items and users are written
 * first; then `used_memory` and the key count of each server are read before and after N
 * checkouts through the HTTP routes, each with its own Idempotency-Key (as every checkout
 * through the gateway has), and once more for N checkouts without one.
 *
 *   npx tsx bench/memory.ts [N]      (default 20000)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { HASH_ENCODING } from '../src/cluster/redis-conf.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { buildAllServices } from '../src/all-services.js';
import { createLocalBus } from '../src/bus/local.js';
import { loadConfig } from '../src/lib/config.js';
import { silentLog } from '../src/lib/log.js';
import { connectRedis, createDurability } from '../src/lib/redis.js';
import { waitFor } from '../src/lib/retry.js';
import { createRedisOrderStore } from '../src/services/order/store.redis.js';
import { createRedisPaymentStore } from '../src/services/payment/store.redis.js';
import { createRedisStockStore } from '../src/services/stock/store.redis.js';

const N = Number(process.argv[2] ?? 20_000);
const SERVICES = ['order', 'stock', 'payment'] as const;
type Service = (typeof SERVICES)[number];
const log = silentLog();
const config = loadConfig({});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function usage(client: Redis): Promise<{ bytes: number; keys: number }> {
  const bytes = Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
  return { bytes, keys: await client.dbsize() };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'memory-bench-'));
  const children: ChildProcess[] = [];
  const admins = new Map<Service, Redis>();
  try {
    const urls = new Map<Service, string>();
    for (const service of SERVICES) {
      const port = await freePort();
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        // The cluster's hash encoding, which decides the size of a saga's hash.
        ...HASH_ENCODING.flatMap(([name, value]) => [`--${name}`, value]),
      ];
      children.push(spawn('redis-server', args, { stdio: 'ignore' }));
      const admin = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
      admin.on('error', () => undefined); // refused until the server listens: waitFor retries

      if (
        !(await waitFor(
          () =>
            admin.connect().then(
              () => true,
              () => false,
            ),
          5000,
          50,
        ))
      ) {
        throw new Error(`redis-server on ${port} did not start`);
      }
      admins.set(service, admin);
      urls.set(service, `redis://127.0.0.1:${port}`);
    }
    const connect = (service: Service) => {
      const own = connectRedis({ ...config.redis, url: urls.get(service) ?? '' }, service, log);
      const durable = createDurability(own, { replicas: 0, timeoutMs: 100, log });
      return [own, { prefix: `${service}:`, recordTtlMs: config.recordTtlMs, durable }] as const;
    };
    const stores = {
      order: createRedisOrderStore(...connect('order')),
      stock: createRedisStockStore(...connect('stock')),
      payment: createRedisPaymentStore(...connect('payment')),
    };
    const system = await buildAllServices(stores, createLocalBus({ commandTtlMs: 30_000 }), config, log);
    // Enough stock and credit that every checkout commits; one line per order, as measured before.
    await stores.stock.batchInit(1000, 1_000_000, 1);
    await stores.payment.batchInit(1000, 1_000_000);
    const orders = (round: string) =>
      Array.from({ length: N }, (_, i) => ({
        orderId: `${round}${i}`,
        userId: String(i % 1000),
        items: [[String(i % 1000), 1] as [string, number]],
        totalCost: 1,
      }));
    for (const [round, keyed] of [
      ['k', true],
      ['u', false],
    ] as const) {
      await stores.order.putOrders(orders(round));
      const before = new Map<Service, { bytes: number; keys: number }>();
      for (const service of SERVICES) before.set(service, await usage(admins.get(service) as Redis));
      let next = 0;
      let committed = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < N) {
            const orderId = `${round}${next++}`;
            const headers = keyed ? { 'idempotency-key': randomUUID() } : {};
            const response = await system.app.inject({
              method: 'POST',
              url: `/orders/checkout/${orderId}`,
              headers,
            });
            if (response.statusCode === 200) committed++;
          }
        }),
      );
      const label = keyed ? 'with Idempotency-Key' : 'without a key';
      console.log(`${committed} of ${N} checkouts committed (${label}):`);
      for (const service of SERVICES) {
        const after = await usage(admins.get(service) as Redis);
        const was = before.get(service) ?? after;
        const perCheckout = (after.bytes - was.bytes) / committed;
        const keys = (after.keys - was.keys) / committed;
        console.log(
          `  ${service.padEnd(8)} ${perCheckout.toFixed(0)} bytes, ${keys.toFixed(2)} keys per checkout`,
        );
      }
    }
    await system.close();
  } finally {
    for (const admin of admins.values()) admin.disconnect();
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
