/**
 * The only file that reads `process.env` (docs/architecture.md, Conventions). Every variable
 * is validated here, documented with its default, and listed in the README.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** RabbitMQ queue type of the command queues (README "Messaging: what a broker crash costs"). */
export type QueueType = 'classic' | 'quorum';
export const DEFAULT_QUEUE_TYPE: QueueType = 'quorum';

export interface SagaTiming {
  /** How long an owner's claim on a saga lasts without renewal; after it, any replica takes over. */
  leaseMs: number;
  /** How long one attempt of a participant command waits for its reply before it is re-sent. */
  attemptMs: number;
  /** From the start of a saga until it aborts if a participant has not answered. */
  deadlineMs: number;
  /** How often each order replica looks for sagas whose lease expired. */
  sweepMs: number;
  /** Longest pause between re-sends of a compensation that is not acknowledged yet. */
  retryMaxMs: number;
}

/**
 * OpenTelemetry tracing, opt-in by the standard variables: on when OTEL_TRACES_EXPORTER is
 * `otlp` or `console`, or unset while an OTLP endpoint is given; off when OTEL_SDK_DISABLED is
 * true or the exporter is `none`. Off, no SDK is even loaded (src/lib/tracing.ts).
 */
export interface TracingConfig {
  exporter: 'otlp' | 'console' | 'none';
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces` (OTLP/HTTP). */
  endpoint: string;
  /** OTEL_SERVICE_NAME; the process's own name (order, stock, payment, checkout-saga) when unset. */
  serviceName: string | undefined;
  /** OTEL_TRACES_SAMPLER_ARG with a `*traceidratio` sampler: the share of new traces kept. */
  sampleRatio: number;
}

const TRACE_EXPORTERS: readonly string[] = ['otlp', 'console', 'none'];
const RATIO_SAMPLERS: readonly string[] = ['traceidratio', 'parentbased_traceidratio'];

function tracingConfig(env: Env): TracingConfig {
  const disabled = str(env, 'OTEL_SDK_DISABLED', 'false').toLowerCase() === 'true';
  const tracesEndpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || undefined;
  const baseEndpoint = env['OTEL_EXPORTER_OTLP_ENDPOINT'] || undefined;
  const named = env['OTEL_TRACES_EXPORTER'] || undefined;
  if (named !== undefined && !TRACE_EXPORTERS.includes(named)) {
    throw new Error(
      `OTEL_TRACES_EXPORTER must be one of ${TRACE_EXPORTERS.join(', ')}, got ${JSON.stringify(named)}`,
    );
  }
  const chosen = named ?? (tracesEndpoint !== undefined || baseEndpoint !== undefined ? 'otlp' : 'none');
  const sampler = str(env, 'OTEL_TRACES_SAMPLER', 'parentbased_always_on');
  const ratio = RATIO_SAMPLERS.includes(sampler) ? Number(str(env, 'OTEL_TRACES_SAMPLER_ARG', '1')) : 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new Error('OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1');
  return {
    exporter: disabled ? 'none' : (chosen as TracingConfig['exporter']),
    endpoint: tracesEndpoint ?? `${(baseEndpoint ?? 'http://localhost:4318').replace(/\/+$/, '')}/v1/traces`,
    serviceName: env['OTEL_SERVICE_NAME'] || undefined,
    sampleRatio: ratio,
  };
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  instanceId: string;
  /**
   * ADMIN_TOKEN (default unset): the bearer token of the operator API (/admin/) and console
   * (/console) of the order service; unset, neither exists (404). At least 16 characters.
   */
  adminToken: string | undefined;
  redis: {
    url: string;
    /** REDIS_USERNAME / REDIS_PASSWORD: the service's ACL user on its Redis (unset: none). */
    username: string | undefined;
    password: string | undefined;
    /** REDIS_SENTINEL_USERNAME / REDIS_SENTINEL_PASSWORD: the user it asks the Sentinels as. */
    sentinelUsername: string | undefined;
    sentinelPassword: string | undefined;
    /** `host:port` list; when set, the service finds its master through Sentinel. */
    sentinels: { host: string; port: number }[];
    /** Sentinel master name; defaults to the service name. */
    masterName: string | undefined;
    prefix: string | undefined;
    /** Replicas a mutation must reach (Redis WAIT) before it is acknowledged; 0 turns WAIT off. */
    waitReplicas: number;
    waitTimeoutMs: number;
    /**
     * How long a write waits (re-sending WAIT) for its replicas before it is refused with 503
     * instead of acknowledged.
     */
    waitMaxMs: number;
  };
  amqpUrl: string;
  /** Prepended to every queue name, so several systems (or test runs) can share one broker. */
  amqpQueuePrefix: string;
  /** Unacknowledged command messages (each a batch) one consumer holds at once. */
  amqpPrefetch: number;
  /** Unconfirmed command messages per queue before new commands wait for a publisher confirm. */
  amqpBatchesInFlight: number;
  /** AMQP_QUEUE_TYPE: `classic` (transient messages) or `quorum` (replicated, on disk); see README. */
  amqpQueueType: QueueType;
  /**
   * AMQP_SINGLE_ACTIVE_CONSUMER: one replica of a participant consumes its commands at a time,
   * the others stand by and take over when its channel closes (rabbit-topology.ts).
   */
  amqpSingleActiveConsumer: boolean;
  /** A command older than this is dropped unapplied; far shorter than recordTtlMs (saga step 6, Forget). */
  commandTtlMs: number;
  /** How long participants remember a saga's result or tombstone. */
  recordTtlMs: number;
  saga: SagaTiming;
  tracing: TracingConfig;
  orderLimits: OrderLimits;
}

/**
 * How big one order may grow (addItem refuses beyond it): a checkout reserves every line in
 * one atomic step, so an unbounded order would hold its store for as long as it likes.
 */
export interface OrderLimits {
  /** Lines per order; each addItem adds one, even for an item already in the order. */
  maxLines: number;
  /** Sum of all lines' quantities. */
  maxQuantity: number;
}

/** ORDER_MAX_LINES and ORDER_MAX_QUANTITY unless set. */
export const DEFAULT_ORDER_LIMITS: Readonly<OrderLimits> = { maxLines: 100, maxQuantity: 1_000_000 };

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function queueType(value: string): QueueType {
  if (value !== 'classic' && value !== 'quorum') {
    throw new Error(`AMQP_QUEUE_TYPE must be classic or quorum, got ${JSON.stringify(value)}`);
  }
  return value;
}

function str(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

function parseSentinels(raw: string): { host: string; port: number }[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((entry) => {
    const [host, port] = entry.trim().split(':');
    const portNumber = Number(port);
    if (!host || !Number.isInteger(portNumber) || portNumber <= 0) {
      throw new Error(`REDIS_SENTINELS entries must be host:port, got ${JSON.stringify(entry)}`);
    }
    return { host, port: portNumber };
  });
}

function adminToken(env: Env): string | undefined {
  const token = env['ADMIN_TOKEN'];
  if (token === undefined || token === '') return undefined;
  if (token.length < 16) throw new Error('ADMIN_TOKEN must be at least 16 characters');
  return token;
}

export function loadConfig(env: Env = process.env): Config {
  const commandTtlMs = int(env, 'COMMAND_TTL_MS', 30_000, 1);
  const recordTtlMs = int(env, 'RECORD_TTL_MS', 24 * 3600_000, 1);
  if (recordTtlMs < 10 * commandTtlMs) {
    throw new Error(
      'RECORD_TTL_MS must be at least 10 x COMMAND_TTL_MS so no stale command outlives its record',
    );
  }
  return {
    port: int(env, 'PORT', 8000),
    host: str(env, 'HOST', '127.0.0.1'),
    dataDir: str(env, 'DATA_DIR', './data'),
    logLevel: str(env, 'LOG_LEVEL', 'info'),
    instanceId: str(env, 'INSTANCE_ID', `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`),
    adminToken: adminToken(env),
    redis: {
      url: str(env, 'REDIS_URL', 'redis://127.0.0.1:6379'),
      username: env['REDIS_USERNAME'] || undefined,
      password: env['REDIS_PASSWORD'] || undefined,
      sentinelUsername: env['REDIS_SENTINEL_USERNAME'] || undefined,
      sentinelPassword: env['REDIS_SENTINEL_PASSWORD'] || undefined,
      sentinels: parseSentinels(str(env, 'REDIS_SENTINELS', '')),
      masterName: env['REDIS_MASTER_NAME'] || undefined,
      prefix: env['REDIS_PREFIX'] || undefined,
      waitReplicas: int(env, 'REDIS_WAIT_REPLICAS', 0),
      waitTimeoutMs: int(env, 'REDIS_WAIT_TIMEOUT_MS', 1000, 1),
      waitMaxMs: int(env, 'REDIS_WAIT_MAX_MS', 5000, 1),
    },
    amqpUrl: str(env, 'AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672'),
    amqpQueuePrefix: str(env, 'AMQP_QUEUE_PREFIX', 'checkout.'),
    amqpPrefetch: int(env, 'AMQP_PREFETCH', 16, 1),
    amqpBatchesInFlight: int(env, 'AMQP_BATCHES_IN_FLIGHT', 4, 1),
    amqpQueueType: queueType(str(env, 'AMQP_QUEUE_TYPE', DEFAULT_QUEUE_TYPE)),
    amqpSingleActiveConsumer: bool(env, 'AMQP_SINGLE_ACTIVE_CONSUMER', false),
    commandTtlMs,
    recordTtlMs,
    saga: {
      leaseMs: int(env, 'SAGA_LEASE_MS', 2000, 10),
      attemptMs: int(env, 'SAGA_ATTEMPT_MS', 1000, 1),
      deadlineMs: int(env, 'SAGA_DEADLINE_MS', 10_000, 1),
      sweepMs: int(env, 'SAGA_SWEEP_MS', 500, 1),
      retryMaxMs: int(env, 'SAGA_RETRY_MAX_MS', 1000, 1),
    },
    orderLimits: {
      maxLines: int(env, 'ORDER_MAX_LINES', DEFAULT_ORDER_LIMITS.maxLines, 1),
      maxQuantity: int(env, 'ORDER_MAX_QUANTITY', DEFAULT_ORDER_LIMITS.maxQuantity, 1),
    },
    tracing: tracingConfig(env),
  };
}

/** Settings of `npm run cluster` (src/cluster), the local multi-process deployment. */
export interface ClusterConfig {
  /** CLUSTER_DIR (default `.cluster`): data, logs, plan.json and state.json of the cluster. */
  dir: string;
  /** GATEWAY_PORT (default 8000): nginx listen port; 0 picks a free port (tests). */
  gatewayPort: number;
  /** GATEWAY_WORKERS (default 1): nginx worker_processes, a number or `auto`. */
  gatewayWorkers: string;
  /**
   * GATEWAY_INSTANCES (default 2): nginx instances sharing the gateway port (SO_REUSEPORT),
   * so a dead one is no single front door; 1 gives the single instance of before.
   */
  gatewayInstances: number;
  /** CLUSTER_SENTINEL_DOWN_AFTER_MS (default 3000): silence before Sentinel calls a master down. */
  sentinelDownAfterMs: number;
  /** CLUSTER_SENTINEL_FAILOVER_TIMEOUT_MS (default 5000): Sentinel failover-timeout. */
  sentinelFailoverTimeoutMs: number;
  /**
   * CLUSTER_REDIS_MAXMEMORY (default 256mb): maxmemory of every Redis (noeviction), a number
   * of bytes or with kb/mb/gb. Sizing in the README ("Memory").
   */
  redisMaxmemory: string;
  /** CLUSTER_READY_TIMEOUT_MS (default 180000): how long `up` waits for every component. */
  readyTimeoutMs: number;
  /** RABBITMQ_ERL_FLAGS (default rabbitmq-node.ts ERL_VM_FLAGS): the broker's Erlang VM flags. */
  rabbitErlFlags: string | undefined;
  /** PATH, handed to every child so it finds redis-server, nginx and erl. */
  path: string;
  /**
   * Variables passed through to every service process: all `SAGA_*` and `OTEL_*`, plus
   * COMMAND_TTL_MS, RECORD_TTL_MS, REDIS_WAIT_TIMEOUT_MS, REDIS_WAIT_MAX_MS, LOG_LEVEL,
   * ORDER_MAX_LINES, ORDER_MAX_QUANTITY and ADMIN_TOKEN when set.
   */
  serviceEnv: Record<string, string>;
}

const CLUSTER_PASS_THROUGH = [
  'COMMAND_TTL_MS',
  'RECORD_TTL_MS',
  'REDIS_WAIT_TIMEOUT_MS',
  'REDIS_WAIT_MAX_MS',
  'LOG_LEVEL',
  'ORDER_MAX_LINES',
  'ORDER_MAX_QUANTITY',
  'ADMIN_TOKEN',
];

export function loadClusterConfig(env: Env = process.env): ClusterConfig {
  const gatewayWorkers = str(env, 'GATEWAY_WORKERS', '1');
  if (gatewayWorkers !== 'auto' && !/^[1-9][0-9]*$/.test(gatewayWorkers)) {
    throw new Error(
      `GATEWAY_WORKERS must be a positive integer or auto, got ${JSON.stringify(gatewayWorkers)}`,
    );
  }
  const redisMaxmemory = str(env, 'CLUSTER_REDIS_MAXMEMORY', '256mb');
  if (!/^[1-9][0-9]*(kb|mb|gb)?$/i.test(redisMaxmemory)) {
    throw new Error(
      `CLUSTER_REDIS_MAXMEMORY must be bytes, or a number with kb, mb or gb, got ${JSON.stringify(redisMaxmemory)}`,
    );
  }
  const serviceEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const passed =
      name.startsWith('SAGA_') || name.startsWith('OTEL_') || CLUSTER_PASS_THROUGH.includes(name);
    if (value !== undefined && passed) {
      serviceEnv[name] = value;
    }
  }
  return {
    dir: str(env, 'CLUSTER_DIR', '.cluster'),
    gatewayPort: int(env, 'GATEWAY_PORT', 8000),
    gatewayWorkers,
    gatewayInstances: int(env, 'GATEWAY_INSTANCES', 2, 1),
    rabbitErlFlags: env['RABBITMQ_ERL_FLAGS'],
    sentinelDownAfterMs: int(env, 'CLUSTER_SENTINEL_DOWN_AFTER_MS', 3000, 100),
    sentinelFailoverTimeoutMs: int(env, 'CLUSTER_SENTINEL_FAILOVER_TIMEOUT_MS', 5000, 1000),
    redisMaxmemory,
    readyTimeoutMs: int(env, 'CLUSTER_READY_TIMEOUT_MS', 180_000, 1000),
    path: str(env, 'PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'),
    serviceEnv,
  };
}
