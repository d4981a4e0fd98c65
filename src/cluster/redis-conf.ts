/**
 * Redis and Sentinel configuration files (settings: docs/architecture.md, Redis). Both files must stay
 * writable: Sentinel rewrites its own file, and it rewrites `replicaof` in an instance's file
 * (CONFIG REWRITE) whenever it reconfigures the instance, so a restarted instance comes back
 * with the role Sentinel last gave it.
 */
import type { ClusterSecrets } from './secrets.js';
import type { ServiceName } from './state.js';

/**
 * ACL rules, shared word for word with deploy/helm/checkout-saga/files/redis-start.sh and
 * sentinel-start.sh (a deploy test compares them). A service may run its scripts and plain
 * reads and writes on its own key prefix, nothing that reconfigures, flushes or lists the
 * server (-@dangerous), plus what its client needs to connect (INFO for the ready check,
 * CLIENT SETNAME) and WAIT.
 */
export const SERVICE_ACL =
  '-@all +@read +@write -@dangerous +eval +evalsha +eval_ro +evalsha_ro +script|load +script|exists +wait +ping +info +client|setname +client|id +select';
/** A replica's link to its master (masteruser). */
export const REPLICA_ACL = '-@all +psync +replconf +ping';
/** What Sentinel runs on a Redis it monitors and fails over (Redis documentation, "Sentinel and ACL"). */
export const SENTINEL_ON_REDIS_ACL =
  '-@all allchannels +multi +slaveof +replicaof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill';
/** A Sentinel talking to the other Sentinels (sentinel-user): hellos, votes, pings. */
export const SENTINEL_PEER_ACL =
  '-@all allchannels +ping +info +publish +subscribe +client|setname +client|kill +sentinel|is-master-down-by-addr';
/** A service asking Sentinel where its master is, and listening for failovers. */
export const SENTINEL_CLIENT_ACL =
  '-@all allchannels +ping +subscribe +psubscribe +unsubscribe +punsubscribe +client|setname +sentinel|get-master-addr-by-name +sentinel|sentinels +sentinel|replicas +sentinel|slaves';

export interface RedisConfOptions {
  port: number;
  dir: string;
  replicaOf?: number;
  /** The service whose data this group holds: only its user exists here. */
  service: ServiceName;
  secrets: ClusterSecrets;
  /** maxmemory (e.g. `256mb`); writes beyond it are refused (noeviction), never evicted. */
  maxmemory: string;
}

/** How every node starts: loopback only; the supervisor owns the process and its PID. */
function nodeLines(port: number, dir: string): string[] {
  // Logs go to stdout, i.e. the log file.
  return ['bind 127.0.0.1', `port ${port}`, 'daemonize no', 'logfile ""', `dir ${dir}`];
}

/**
 * Hash encoding of every node. A saga's hash carries its journal (100–400 bytes); past the
 * default 64 bytes one such field turns the whole hash from a listpack into a hashtable, 3.5×
 * the memory: 1,212 bytes a committed saga in the order Redis against ~400 (measured
 * 2026-11-30 with MEMORY USAGE, when a chaos run filled its 256 MB). A listpack access walks its
 * ~12 fields, which costs nothing measurable. bench/memory.ts starts its servers with the same.
 */
export const HASH_ENCODING: readonly (readonly [string, string])[] = [['hash-max-listpack-value', '1024']];

/** An ACL user that logs in with `password` and may do what `rules` allow. */
function aclUser(name: string, password: string, rules: string): string {
  return `user ${name} on >${password} ${rules}`;
}

export function redisConf(opts: RedisConfOptions): string {
  const { secrets, service } = opts;
  const lines = [
    ...nodeLines(opts.port, opts.dir),
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    // New replicas (and an old master turned replica) sync straight from memory.
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
    // With two replicas, a write needs one live replica: a master cut off from both refuses
    // writes instead of acknowledging ones a failover would drop.
    'min-replicas-to-write 1',
    'min-replicas-max-lag 10',
    // Bounded memory: at the limit a write fails (the service answers 503) and nothing that a
    // saga or an idempotency key needs is ever evicted. Sizing: README, "Memory".
    `maxmemory ${opts.maxmemory}`,
    'maxmemory-policy noeviction',
    ...HASH_ENCODING.map(([name, value]) => `${name} ${value}`),
    // Nobody without a password: the default user is off on every node.
    'user default off',
    aclUser('admin', secrets.admin, '~* &* +@all'),
    aclUser(service, secrets.redis[service], `resetkeys ~${service}:* resetchannels ${SERVICE_ACL}`),
    aclUser('replica', secrets.redis.replica, REPLICA_ACL),
    aclUser('sentinel', secrets.redis.sentinel, SENTINEL_ON_REDIS_ACL),
    // Every node may become a replica: all know how to log in to a master.
    'masteruser replica',
    `masterauth ${secrets.redis.replica}`,
  ];
  if (opts.replicaOf !== undefined) lines.push(`replicaof 127.0.0.1 ${opts.replicaOf}`);
  return `${lines.join('\n')}\n`;
}

export interface SentinelTiming {
  downAfterMs: number;
  failoverTimeoutMs: number;
}

/**
 * Timing (defaults in loadClusterConfig, overridable per run):
 * - down-after 3000 ms: 1000 ms was measured failing over on any 1 s stall (a long script,
 *   an fsync stall). On these 2 shared cores a benchmark can starve a Redis for a second, and
 *   a needless failover costs more (a full resync of the old master) than 2 s of extra
 *   detection costs once per real crash. Production setups use 3-5 s; 3 s is the low end
 *   because clients only block, they do not fail, while a failover runs.
 * - failover-timeout 5000 ms: if an election or a promotion stalls, the next try comes after
 *   2 x failover-timeout, so a short value recovers sooner; 5 s is ample on one machine where
 *   a promotion takes ~0.5-1 s.
 */
export function sentinelConf(opts: {
  port: number;
  dir: string;
  masters: readonly { name: ServiceName; port: number }[];
  /** Sentinels that must agree a master is down before a failover starts. */
  quorum: number;
  timing: SentinelTiming;
  secrets: ClusterSecrets;
}): string {
  const { secrets } = opts;
  const lines = [
    ...nodeLines(opts.port, opts.dir),
    'user default off',
    aclUser('admin', secrets.admin, 'allcommands allchannels'),
    aclUser('peer', secrets.sentinel.peer, SENTINEL_PEER_ACL),
    aclUser('client', secrets.sentinel.client, SENTINEL_CLIENT_ACL),
    'sentinel sentinel-user peer',
    `sentinel sentinel-pass ${secrets.sentinel.peer}`,
  ];
  for (const master of opts.masters) {
    lines.push(
      `sentinel monitor ${master.name} 127.0.0.1 ${master.port} ${opts.quorum}`,
      `sentinel auth-user ${master.name} sentinel`,
      `sentinel auth-pass ${master.name} ${secrets.redis.sentinel}`,
      `sentinel down-after-milliseconds ${master.name} ${opts.timing.downAfterMs}`,
      `sentinel failover-timeout ${master.name} ${opts.timing.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${master.name} 1`,
    );
  }
  return `${lines.join('\n')}\n`;
}
