/**
 * What `up` runs: every component with its ports, command, environment and files. Ports are
 * chosen once here and kept for the cluster's life, so a restarted component comes back on
 * the same address and nobody has to be told about it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../lib/config.js';
import { gatewayConf } from './nginx-conf.js';
import { freePorts } from './ports.js';
import { RABBITMQ_SERVER, prepareRabbitDir, rabbitEnv } from './rabbitmq-node.js';
import { redisConf, sentinelConf } from './redis-conf.js';
import { amqpUrl, generateSecrets, writeSecrets } from './secrets.js';
import { SERVICES, type ClusterPlan, type ComponentSpec, type ServiceName } from './state.js';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const REDIS_SENTINEL = '/usr/bin/redis-sentinel';
export const NGINX = '/usr/sbin/nginx';

/** How many of each component `up` runs. */
export interface Topology {
  /** Processes per service (order-1, order-2, ...). */
  serviceReplicas: number;
  /** Redis instances per service: a master and its replicas. */
  redisPerService: number;
  sentinels: number;
  /** nginx instances sharing the gateway port; undefined: CLUSTER_GATEWAYS. */
  gateways: number | undefined;
  /**
   * Whether every replica of a service takes work at once. Otherwise the first replica is
   * active and the others stand by: nginx sends them requests only when it fails (`backup`),
   * and RabbitMQ delivers commands to one consumer at a time (AMQP_SINGLE_ACTIVE_CONSUMER).
   * On one machine's shared cores a second active replica adds no CPU, only halves the
   * batches each one makes (docs/performance.md, "Active and standby replicas").
   */
  allActive: boolean;
}

/**
 * The default: any one process of any kind may die and every service keeps answering, its
 * standby replica taking over.
 */
export const HA: Topology = {
  serviceReplicas: 2,
  redisPerService: 3,
  sentinels: 3,
  gateways: undefined,
  allActive: false,
};

/** `up --all-active`: the HA topology with both replicas of each service taking work. */
export const HA_ALL_ACTIVE: Topology = { ...HA, allActive: true };

/**
 * `up --lean`: one process per service, one gateway, one Sentinel, and a Redis master with ONE
 * replica, so a write is still acknowledged only once a second node has it (WAIT 1) and a
 * master's loss is still failed over. What it gives up is availability during a restart: a
 * killed service is down until the supervisor restarts it. It exists to measure what the HA
 * topology costs on one machine (docs/performance.md), never as the default.
 */
export const LEAN: Topology = {
  serviceReplicas: 1,
  redisPerService: 2,
  sentinels: 1,
  gateways: 1,
  allActive: true,
};

/** `infra`: Redis, Sentinels, RabbitMQ and nginx; `services`: the order/stock/payment processes. */
export type Group = 'infra' | 'services';

export const serviceEntry = (service: ServiceName): string =>
  fileURLToPath(new URL(`../services/${service}/main.js`, import.meta.url));

export interface PlanOptions {
  cfg: ClusterConfig;
  /** Absolute, existing and empty cluster directory. */
  dir: string;
  groups: ReadonlySet<Group>;
  /** `--env K=V` from the command line: set on every service process, last word. */
  serviceEnv: Readonly<Record<string, string>>;
  topology: Topology;
}

function component(
  dir: string,
  spec: Omit<ComponentSpec, 'dir' | 'log'> & Partial<Pick<ComponentSpec, 'dir'>>,
): ComponentSpec {
  const home = spec.dir ?? join(dir, spec.name);
  mkdirSync(home, { recursive: true });
  return { ...spec, dir: home, log: join(home, `${spec.name}.log`) };
}

/** Allocates ports, writes every config file, and returns the plan the supervisor runs. */
export async function prepareCluster(opts: PlanOptions): Promise<ClusterPlan> {
  const { cfg, dir, topology } = opts;
  const path = cfg.path;
  const gateways = topology.gateways ?? cfg.gatewayInstances;
  const count =
    SERVICES.length * (topology.redisPerService + topology.serviceReplicas) +
    topology.sentinels +
    2 +
    1 +
    gateways;
  const pool = await freePorts(count);
  const take = (): number => {
    const port = pool.shift();
    if (port === undefined) throw new Error('port pool exhausted');
    return port;
  };
  const gatewayPort = cfg.gatewayPort === 0 ? take() : cfg.gatewayPort;
  // Fresh credentials for every `up` (the directory starts empty), read back by the operator
  // tools through useClusterSecrets.
  const secrets = generateSecrets();
  writeSecrets(dir, secrets);
  const components: ComponentSpec[] = [];

  const redisPorts = new Map<ServiceName, number[]>();
  for (const service of SERVICES) {
    const ports = Array.from({ length: topology.redisPerService }, take);
    redisPorts.set(service, ports);
    ports.forEach((port, i) => {
      const spec = component(dir, {
        name: `${service}-redis-${i + 1}`,
        kind: 'redis',
        port,
        command: REDIS_SERVER,
        args: [],
        env: { PATH: path },
        service,
        // The first instance starts as master; the replicas follow once it answers.
        stage: i === 0 ? 0 : 1,
      });
      const conf = join(spec.dir, 'redis.conf');
      const master = ports[0];
      const base = { port, dir: spec.dir, service, secrets, maxmemory: cfg.redisMaxmemory };
      writeFileSync(
        conf,
        redisConf(i === 0 || master === undefined ? base : { ...base, replicaOf: master }),
        { mode: 0o600 },
      );
      components.push({ ...spec, args: [conf] });
    });
  }

  const sentinelPorts = Array.from({ length: topology.sentinels }, take);
  const masters = SERVICES.map((name) => ({ name, port: redisPorts.get(name)?.[0] ?? 0 }));
  sentinelPorts.forEach((port, i) => {
    const spec = component(dir, {
      name: `sentinel-${i + 1}`,
      kind: 'sentinel',
      port,
      command: REDIS_SENTINEL,
      args: [],
      env: { PATH: path },
      stage: 2,
    });
    const conf = join(spec.dir, 'sentinel.conf');
    writeFileSync(
      conf,
      sentinelConf({
        port,
        dir: spec.dir,
        masters,
        // A majority of the Sentinels agrees that a master is down (1 of 1 in the lean topology).
        quorum: Math.floor(topology.sentinels / 2) + 1,
        timing: { downAfterMs: cfg.sentinelDownAfterMs, failoverTimeoutMs: cfg.sentinelFailoverTimeoutMs },
        secrets,
      }),
      { mode: 0o600 },
    );
    components.push({ ...spec, args: [conf] });
  });

  const rabbitPort = take();
  const rabbitDir = join(dir, 'rabbitmq');
  prepareRabbitDir(rabbitDir, secrets.rabbitmq);
  components.push(
    component(dir, {
      name: 'rabbitmq',
      kind: 'rabbitmq',
      port: rabbitPort,
      command: RABBITMQ_SERVER,
      args: [],
      env: rabbitEnv({
        dir: rabbitDir,
        port: rabbitPort,
        distPort: take(),
        path,
        erlFlags: cfg.rabbitErlFlags,
      }),
      stage: 0,
    }),
  );

  const servicePorts = new Map<ServiceName, number[]>();
  const sentinelList = sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',');
  for (const service of SERVICES) {
    const ports = Array.from({ length: topology.serviceReplicas }, take);
    servicePorts.set(service, ports);
    if (!opts.groups.has('services')) continue;
    ports.forEach((port, i) => {
      const name = `${service}-${i + 1}`;
      components.push(
        component(dir, {
          name,
          kind: 'service',
          port,
          command: process.execPath,
          args: [serviceEntry(service)],
          env: {
            PATH: path,
            PORT: String(port),
            HOST: '127.0.0.1',
            REDIS_SENTINELS: sentinelList,
            REDIS_MASTER_NAME: service,
            REDIS_WAIT_REPLICAS: '1',
            REDIS_USERNAME: service,
            REDIS_PASSWORD: secrets.redis[service],
            REDIS_SENTINEL_USERNAME: 'client',
            REDIS_SENTINEL_PASSWORD: secrets.sentinel.client,
            AMQP_URL: amqpUrl(secrets, rabbitPort),
            // One broker node: a quorum queue would replicate to nobody, only write to disk.
            AMQP_QUEUE_TYPE: 'classic',
            AMQP_SINGLE_ACTIVE_CONSUMER: String(!topology.allActive),
            INSTANCE_ID: name,
            LOG_LEVEL: 'info',
            DATA_DIR: join(dir, name),
            ...cfg.serviceEnv,
            ...opts.serviceEnv,
          },
          service,
          stage: 3,
        }),
      );
    });
  }

  // Several gateways on one port (SO_REUSEPORT), each with its own files and status port: the
  // kernel hands new connections to the live ones, so killing one refuses no connection.
  const upstreams = {
    order: servicePorts.get('order') ?? [],
    stock: servicePorts.get('stock') ?? [],
    payment: servicePorts.get('payment') ?? [],
  };
  for (let i = 1; i <= gateways; i += 1) {
    const nginx = component(dir, {
      name: `nginx-${i}`,
      kind: 'nginx',
      port: take(),
      command: NGINX,
      args: [],
      env: { PATH: path },
      stage: 3,
    });
    const conf = join(nginx.dir, 'nginx.conf');
    const tempDir = join(nginx.dir, 'temp');
    mkdirSync(tempDir, { recursive: true });
    writeFileSync(
      conf,
      gatewayConf({
        listenPort: gatewayPort,
        reuseport: true,
        statusPort: nginx.port,
        workers: cfg.gatewayWorkers,
        pidFile: join(nginx.dir, 'nginx.pid'),
        errorLog: nginx.log,
        tempDir,
        upstreams,
        standby: !topology.allActive,
      }),
    );
    // -e: the error log nginx uses before it has read its config (default /var/log/nginx).
    components.push({ ...nginx, args: ['-p', nginx.dir, '-c', conf, '-e', nginx.log] });
  }

  return {
    dir,
    gatewayPort,
    sentinelPorts,
    sentinelDownAfterMs: cfg.sentinelDownAfterMs,
    sentinelFailoverTimeoutMs: cfg.sentinelFailoverTimeoutMs,
    readyTimeoutMs: cfg.readyTimeoutMs,
    components,
  };
}
