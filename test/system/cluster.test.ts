/**
 * The local cluster supervisor (`npm run cluster`) against real processes: one cluster per file
 * in a temp dir on free ports, then crashes of a service replica, a Redis master and RabbitMQ,
 * and finally `down`. Runs the compiled CLI (dist/), as `npm run cluster` does; `npm test`
 * builds before vitest. Without the service entry points (dist/services/<svc>/main.js) the
 * cluster runs with `--only infra` and the service-replica case is skipped.
 */
import { connect as amqpConnect } from 'amqplib';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatus, probe } from '../../src/cluster/health.js';
import { gatewayConf, renderTemplate } from '../../src/cluster/nginx-conf.js';
import { groupMembers, isAlive } from '../../src/cluster/processes.js';
import { waitFor } from '../../src/lib/retry.js';
import { sentinelConf } from '../../src/cluster/redis-conf.js';
import { HA, LEAN, prepareCluster, type Topology } from '../../src/cluster/components.js';
import { loadClusterConfig } from '../../src/lib/config.js';
import { redisCall, redisInfo, sentinelMasterPort, useRedisAuth } from '../../src/cluster/redis-probe.js';
import {
  amqpUrl,
  generateSecrets,
  useClusterSecrets,
  type ClusterSecrets,
} from '../../src/cluster/secrets.js';
import {
  SERVICES,
  readPlan,
  readState,
  type ClusterPlan,
  type ClusterState,
  type ComponentState,
} from '../../src/cluster/state.js';

const run = promisify(execFile);
const CLI = resolve('dist/cluster/cli.js');
const servicesBuilt = SERVICES.every((s) => existsSync(resolve('dist/services', s, 'main.js')));

function cli(args: string[], timeout = 60_000): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, GATEWAY_PORT: '0' }, timeout });
}

async function cliFails(args: string[], timeout?: number): Promise<string> {
  try {
    await cli(args, timeout);
  } catch (error) {
    return (error as { stderr?: string }).stderr ?? String(error);
  }
  throw new Error(`cluster ${args.join(' ')} succeeded`);
}

describe('nginx gateway config', () => {
  const rendered = (): string =>
    gatewayConf({
      listenPort: 18000,
      workers: '1',
      pidFile: '/tmp/x/nginx.pid',
      errorLog: '/tmp/x/error.log',
      tempDir: '/tmp/x/temp',
      upstreams: { order: [1, 2], stock: [3, 4], payment: [5, 6] },
    });

  it('is accepted by nginx -t', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-conf-'));
    try {
      const conf = rendered()
        .replaceAll('/tmp/x', dir)
        .replace(/server 127\.0\.0\.1:(\d) /g, 'server 127.0.0.1:1000$1 ');
      const file = join(dir, 'nginx.conf');
      mkdirSync(join(dir, 'temp'));
      writeFileSync(file, conf);
      await run('/usr/sbin/nginx', ['-t', '-p', dir, '-c', file, '-e', join(dir, 'error.log')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every unkeyed POST but checkout the gateway request id as its key, and re-sends any request', () => {
    const conf = rendered();
    expect(conf).toMatch(
      /map "\$request_method:\$http_idempotency_key:\$uri" \$idempotency_key \{\s*"~\^POST::\/orders\/checkout\/" "";\s*"~\^POST::" \$request_id;\s*default \$http_idempotency_key;/,
    );
    expect(conf).toContain('proxy_set_header Idempotency-Key $idempotency_key;');
    expect(conf).toContain('proxy_next_upstream error timeout http_502 http_503 non_idempotent;');
    // No location narrows the server-level retry (a location's own proxy_next_upstream would).
    const blocks = conf.split(/\n\s*location /).slice(1);
    expect(blocks.filter((b) => b.split('}')[0]?.includes('proxy_next_upstream'))).toEqual([]);
    expect(conf).toContain('server 127.0.0.1:3 max_fails=1 fail_timeout=2s;');
  });

  it('shares the public port between instances only when asked, each with its own status port', () => {
    const shared = gatewayConf({
      listenPort: 18000,
      reuseport: true,
      statusPort: 18001,
      workers: '1',
      pidFile: '/p',
      errorLog: '/e',
      tempDir: '/t',
      upstreams: { order: [1], stock: [2], payment: [3] },
    });
    expect(shared).toContain('listen 127.0.0.1:18000 reuseport backlog=4096;');
    expect(shared).toContain('listen 127.0.0.1:18001;');
    expect(rendered()).toContain('listen 127.0.0.1:18000 backlog=4096;');
    expect(rendered()).toContain('listen unix:/tmp/x/temp/status.sock;');
  });

  it('makes every replica but the first a backup when they stand by', () => {
    const standby = gatewayConf({
      listenPort: 18000,
      workers: '1',
      pidFile: '/p',
      errorLog: '/e',
      tempDir: '/t',
      upstreams: { order: [1, 2], stock: [3, 4], payment: [5, 6] },
      standby: true,
    });
    expect(standby).toContain('server 127.0.0.1:1 max_fails=1 fail_timeout=2s;');
    expect(standby).toContain('server 127.0.0.1:2 max_fails=1 fail_timeout=2s backup;');
    expect(standby).toContain('server 127.0.0.1:6 max_fails=1 fail_timeout=2s backup;');
    expect(rendered()).not.toContain('backup');
  });

  it('refuses a template placeholder it has no value for', () => {
    expect(() => renderTemplate('listen ${LISTEN}; x ${NOPE};', { LISTEN: '1' })).toThrow(/NOPE/);
  });

  it('has every Sentinel monitor all three masters with quorum 2', () => {
    const conf = sentinelConf({
      port: 1,
      dir: '/d',
      masters: SERVICES.map((name, i) => ({ name, port: 100 + i })),
      quorum: 2,
      timing: { downAfterMs: 3000, failoverTimeoutMs: 5000 },
      secrets: generateSecrets(),
    });
    expect(conf).toContain('sentinel monitor order 127.0.0.1 100 2');
    expect(conf).toContain('sentinel monitor payment 127.0.0.1 102 2');
    expect(conf.match(/down-after-milliseconds \w+ 3000/g)).toHaveLength(3);
  });
});

describe('cluster topology', () => {
  const plan = async (topology: Topology): Promise<ClusterPlan> => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-plan-'));
    try {
      const cfg = loadClusterConfig({ ...process.env, GATEWAY_PORT: '0' });
      return await prepareCluster({
        cfg,
        dir,
        groups: new Set(['infra', 'services']),
        serviceEnv: {},
        topology,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const names = (p: ClusterPlan): string[] => p.components.map((c) => c.name).sort();

  it('runs two replicas per service, three Redis per service and three Sentinels by default', async () => {
    const ha = await plan(HA);
    for (const service of SERVICES) {
      expect(names(ha)).toEqual(
        expect.arrayContaining([`${service}-1`, `${service}-2`, `${service}-redis-3`]),
      );
    }
    expect(names(ha).filter((n) => n.startsWith('sentinel-'))).toEqual([
      'sentinel-1',
      'sentinel-2',
      'sentinel-3',
    ]);
    expect(names(ha).filter((n) => n.startsWith('nginx-'))).toEqual(['nginx-1', 'nginx-2']);
  });

  it('--lean runs one of each, but still a replica per master that every write waits for', async () => {
    const lean = await plan(LEAN);
    expect(names(lean)).toEqual(
      [
        ...SERVICES.flatMap((s) => [`${s}-1`, `${s}-redis-1`, `${s}-redis-2`]),
        'nginx-1',
        'rabbitmq',
        'sentinel-1',
      ].sort(),
    );
    for (const service of lean.components.filter((c) => c.kind === 'service')) {
      expect(service.env['REDIS_WAIT_REPLICAS']).toBe('1');
    }
  });
});

describe('cluster supervisor', () => {
  let dir = '';
  let upOutput = '';
  let secrets: ClusterSecrets;

  const state = (): ClusterState => {
    const current = readState(dir);
    if (current === undefined) throw new Error('no state.json');
    return current;
  };
  const component = (name: string): ComponentState => {
    const found = state().components.find((c) => c.name === name);
    if (found === undefined) throw new Error(`no component ${name}`);
    return found;
  };
  /** Waits until `name` runs under a PID other than `oldPid` and is healthy. */
  const cameBack = (name: string, oldPid: number, timeoutMs: number): Promise<boolean> =>
    waitFor(
      async () => {
        const c = component(name);
        return c.pid !== oldPid && isAlive(c.pid) && (await probe(c)).healthy;
      },
      timeoutMs,
      200,
    );

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} missing: run npm run build first`);
    dir = mkdtempSync(join(tmpdir(), 'cluster-test-'));
    const only = servicesBuilt ? [] : ['--only', 'infra'];
    upOutput = (await cli(['up', '--dir', dir, ...only], 240_000)).stdout;
    secrets = useClusterSecrets(dir);
  }, 250_000);

  afterAll(async () => {
    if (dir === '') return;
    await cli(['down', '--dir', dir], 120_000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 130_000);

  it('starts every component healthy and prints one ready line', async () => {
    const current = state();
    expect(upOutput).toBe(`ready http://127.0.0.1:${current.gatewayPort}\n`);
    expect(current.phase).toBe('ready');
    const names = current.components.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['order-redis-3', 'sentinel-3', 'rabbitmq', 'nginx-1', 'nginx-2']),
    );
    expect(names.filter((n) => /^(order|stock|payment)-[12]$/.test(n))).toHaveLength(servicesBuilt ? 6 : 0);
    const { stdout } = await cli(['status', '--dir', dir, '--json']);
    const status = JSON.parse(stdout) as {
      supervisorAlive: boolean;
      components: { alive: boolean; healthy: boolean }[];
    };
    expect(status.supervisorAlive).toBe(true);
    expect(status.components.filter((c) => !c.alive || !c.healthy)).toEqual([]);
    expect(await httpStatus(current.gatewayPort, '/health')).toBe(200);
  });

  it('lets nobody into Redis, Sentinel or RabbitMQ without a password, and a service only into its own keys', async () => {
    const plan = readPlan(dir);
    const master = (await sentinelMasterPort(plan.sentinelPorts, 'order')) ?? 0;
    const refusal = async (port: number, args: string[]): Promise<string> => {
      try {
        return `answered ${JSON.stringify(await redisCall(port, args))}`;
      } catch (error) {
        return String(error);
      }
    };
    try {
      useRedisAuth(undefined);
      expect(await refusal(master, ['GET', 'order:x'])).toMatch(/NOAUTH/);
      expect(await refusal(plan.sentinelPorts[0] ?? 0, ['SENTINEL', 'MASTERS'])).toMatch(/NOAUTH/);
      useRedisAuth({ username: 'order', password: secrets.redis.order });
      expect(await refusal(master, ['SET', 'order:acl-probe', '1'])).toBe('answered "OK"');
      expect(await refusal(master, ['DEL', 'order:acl-probe'])).toBe('answered 1');
      expect(await refusal(master, ['GET', 'stock:x'])).toMatch(/NOPERM/);
      expect(await refusal(master, ['FLUSHALL'])).toMatch(/NOPERM/);
      expect(await refusal(master, ['CONFIG', 'GET', 'maxmemory'])).toMatch(/NOPERM/);
      useRedisAuth({ username: 'stock', password: secrets.redis.stock });
      expect(await refusal(master, ['PING'])).toMatch(/WRONGPASS/);
      useRedisAuth({ username: 'client', password: secrets.sentinel.client });
      expect(
        await refusal(plan.sentinelPorts[0] ?? 0, ['SENTINEL', 'get-master-addr-by-name', 'order']),
      ).toMatch(/answered \["127\.0\.0\.1"/);
      expect(await refusal(plan.sentinelPorts[0] ?? 0, ['SENTINEL', 'FAILOVER', 'order'])).toMatch(/NOPERM/);
    } finally {
      useClusterSecrets(dir);
    }
    // Every node is bounded, and refuses writes at the limit instead of evicting.
    const memory = await redisInfo(master, 'memory');
    expect(Number(memory.get('maxmemory'))).toBe(256 * 1024 * 1024);
    expect(memory.get('maxmemory_policy')).toBe('noeviction');
    const rabbit = component('rabbitmq');
    await expect(amqpConnect(`amqp://guest:guest@127.0.0.1:${rabbit.port}`)).rejects.toThrow(
      /ACCESS_REFUSED|403/,
    );
  });

  it.runIf(servicesBuilt)(
    "never exposes the services' /metrics and /admin routes through the gateway",
    async () => {
      const port = state().gatewayPort;
      const service = component('order-1').port;
      expect(await httpStatus(service, '/metrics')).toBe(200);
      for (const path of [
        '/metrics',
        '/admin/sagas/1',
        '/ADMIN/sagas/1',
        '//metrics',
        '/orders/../metrics',
        '/admin',
      ])
        expect(await httpStatus(port, path), path).toBe(404);
    },
  );

  it('refuses a second up over a running cluster', async () => {
    expect(await cliFails(['up', '--dir', dir])).toMatch(/already runs/);
    expect(isAlive(state().supervisorPid)).toBe(true);
  });

  it.runIf(servicesBuilt)(
    'restarts a killed service replica while the gateway keeps answering reads',
    async () => {
      const gateway = `http://127.0.0.1:${state().gatewayPort}`;
      const created = await fetch(`${gateway}/stock/item/create/7`, { method: 'POST' });
      const { item_id: itemId } = (await created.json()) as { item_id: string };
      const before = component('stock-1');
      let reading = true;
      const statuses: number[] = [];
      const reader = (async () => {
        while (reading) statuses.push((await fetch(`${gateway}/stock/find/${itemId}`)).status);
      })();
      await cli(['kill', 'stock-1', '--dir', dir]);
      const back = await cameBack('stock-1', before.pid, 30_000);
      reading = false;
      await reader;
      expect(back).toBe(true);
      expect(isAlive(before.pid)).toBe(false);
      // nginx re-sends a GET that hit the dead replica to the live one: no request is lost.
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
    },
  );

  it('keeps accepting connections while one of two nginx instances is dead, and restarts it', async () => {
    const port = state().gatewayPort;
    const before = component('nginx-1');
    expect(component('nginx-2').port).not.toBe(before.port);
    // `nginx` names the first instance.
    const { stdout } = await cli(['kill', 'nginx', '--dir', dir]);
    expect(stdout).toContain(`killed nginx-1 pid ${before.pid}`);
    // Fresh connections at once, before the supervisor restarts it (0.5 s): the other instance
    // takes them.
    expect(await waitFor(() => !isAlive(before.pid), 2000, 10)).toBe(true);
    const statuses = await Promise.all(Array.from({ length: 50 }, () => httpStatus(port, '/health')));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await cameBack('nginx-1', before.pid, 20_000)).toBe(true);
    expect(groupMembers(before.pid)).toEqual([]);
  });

  it('fails over a killed Redis master; the old master comes back as a replica', async () => {
    const plan = readPlan(dir);
    const masterPort = await sentinelMasterPort(plan.sentinelPorts, 'stock');
    const master = state().components.find((c) => c.kind === 'redis' && c.port === masterPort);
    expect(master).toBeDefined();
    if (master === undefined) return;
    const { stdout } = await cli(['kill', 'stock-redis-master', '--dir', dir]);
    expect(stdout).toContain(`killed ${master.name}`);

    let promoted: number | undefined;
    const failedOver = await waitFor(
      async () => {
        promoted = await sentinelMasterPort(plan.sentinelPorts, 'stock');
        return promoted !== undefined && promoted !== master.port;
      },
      30_000,
      100,
    );
    expect(failedOver).toBe(true);
    const promotedName = state().components.find((c) => c.port === promoted)?.name ?? '';
    expect(promotedName).toMatch(/^stock-redis-[123]$/);

    const rejoined = await waitFor(
      async () => {
        const info = await redisInfo(master.port, 'replication').catch(() => new Map<string, string>());
        return (
          info.get('role') === 'slave' &&
          info.get('master_link_status') === 'up' &&
          info.get('master_port') === String(promoted)
        );
      },
      45_000,
      250,
    );
    expect(rejoined).toBe(true);
    expect(component(master.name).pid).not.toBe(master.pid);
  }, 90_000);

  it('brings a killed RabbitMQ back, accepting AMQP', async () => {
    const before = component('rabbitmq');
    await cli(['kill', 'rabbitmq', '--dir', dir]);
    // The whole process group goes: the launcher script and its Erlang VM.
    expect(await waitFor(() => groupMembers(before.pid).length === 0, 10_000)).toBe(true);
    expect(await cameBack('rabbitmq', before.pid, 60_000)).toBe(true);
    const connection = await amqpConnect(amqpUrl(secrets, before.port));
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      expect(queue).toMatch(/^amq\.gen-/);
    } finally {
      await connection.close();
    }
  }, 90_000);

  it('down stops every process it started', async () => {
    const before = state();
    const pids = [before.supervisorPid, ...before.components.map((c) => c.pid)].filter((pid) => pid > 0);
    const { stdout } = await cli(['down', '--dir', dir], 120_000);
    expect(stdout).toMatch(/^stopped/);
    expect(pids.filter((pid) => isAlive(pid) || groupMembers(pid).length > 0)).toEqual([]);
    expect(state().phase).toBe('stopped');
  }, 130_000);
});

describe('cluster clean-up', () => {
  const dirs: string[] = [];
  const freshDir = (): string => {
    const created = mkdtempSync(join(tmpdir(), 'cluster-cleanup-'));
    dirs.push(created);
    return created;
  };
  const leftovers = (current: ClusterState | undefined): number[] =>
    [current?.supervisorPid ?? 0, ...(current?.components ?? []).map((c) => c.pid)].filter(
      (pid) => pid > 0 && (isAlive(pid) || groupMembers(pid).length > 0),
    );

  afterAll(async () => {
    for (const created of dirs) {
      await cli(['down', '--dir', created], 120_000).catch(() => undefined);
      rmSync(created, { recursive: true, force: true });
    }
  }, 130_000);

  it('down stops every process even after the supervisor was killed', async () => {
    const dir = freshDir();
    await cli(['up', '--dir', dir, '--only', 'infra'], 240_000);
    const running = readState(dir);
    process.kill(running?.supervisorPid ?? 0, 'SIGKILL');
    expect(await cliFails(['kill', 'nginx', '--dir', dir])).toMatch(/supervisor is not running/);
    const { stdout } = await cli(['down', '--dir', dir], 120_000);
    expect(stdout).toMatch(/^stopped/);
    expect(leftovers(running)).toEqual([]);
  }, 250_000);

  it.runIf(servicesBuilt)(
    'up fails, leaving nothing behind, when a service keeps exiting',
    async () => {
      const dir = freshDir();
      // An invalid setting makes every service process exit at start.
      const stderr = await cliFails(['up', '--dir', dir, '--env', 'REDIS_WAIT_REPLICAS=-1'], 240_000);
      expect(stderr).toMatch(/exited \d+ times/);
      expect(leftovers(readState(dir))).toEqual([]);
    },
    250_000,
  );
});
