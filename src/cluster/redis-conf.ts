/**
 * Redis and Sentinel configuration files (settings verified in RECIPES.md). Both files must stay
 * writable: Sentinel rewrites its own file, and it rewrites `replicaof` in an instance's file
 * (CONFIG REWRITE) whenever it reconfigures the instance, so a restarted instance comes back
 * with the role Sentinel last gave it.
 */
import type { ServiceName } from './state.js';

export function redisConf(opts: { port: number; dir: string; replicaOf?: number }): string {
  const lines = [
    'bind 127.0.0.1',
    `port ${opts.port}`,
    // The supervisor owns the process and its PID; logs go to stdout, i.e. the log file.
    'daemonize no',
    'logfile ""',
    `dir ${opts.dir}`,
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
 * - down-after 3000 ms: RECIPES measured 1000 ms failing over on any 1 s stall (a long script,
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
  timing: SentinelTiming;
}): string {
  const lines = ['bind 127.0.0.1', `port ${opts.port}`, 'daemonize no', 'logfile ""', `dir ${opts.dir}`];
  for (const master of opts.masters) {
    lines.push(
      `sentinel monitor ${master.name} 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds ${master.name} ${opts.timing.downAfterMs}`,
      `sentinel failover-timeout ${master.name} ${opts.timing.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${master.name} 1`,
    );
  }
  return `${lines.join('\n')}\n`;
}
