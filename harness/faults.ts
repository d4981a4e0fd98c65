/**
 * The faults the chaos suite injects into a running cluster, each by the cluster's own CLI
 * (`kill NAME`: SIGKILL to the component's process group; the supervisor brings it back), or
 * for an order replica (SIGKILL, or SIGSTOP and later SIGCONT) to the PID in state.json at
 * the moment it owns a running saga.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { signalGroup } from '../src/cluster/processes.js';
import { redisCall } from '../src/cluster/redis-probe.js';
import type { Cluster } from './cluster.js';
import { killEachReplicaFault } from './unkeyed.js';

export interface Fault {
  name: string;
  /** Resolves once the fault has been applied (for a pause: once the process runs again). */
  inject(): Promise<void>;
  /**
   * Clients may see 503 with Retry-After (a store refusing to acknowledge what no replica has):
   * every other fault must cause none.
   */
  allowsUnavailable?: boolean;
}

export function killFault(cluster: Cluster, target: string): Fault {
  return {
    name: `SIGKILL ${target}`,
    async inject() {
      if (/^order-\d+$/.test(target)) {
        // Killed while it owns a running saga, so there is one to recover; the CLI's own
        // start-up would let that saga finish first, so the group is signalled here, as the
        // CLI does. Frozen first, then checked again: the probe's answer is a few ms old, and
        // on a quiet machine the saga it saw could finish before the SIGKILL landed.
        const { pid } = cluster.component(target);
        await freezeOwning(cluster, target, pid);
        signalGroup(pid, 'SIGKILL');
      } else {
        await cluster.cli(['kill', target]);
      }
    },
  };
}

async function untilOwning(cluster: Cluster, instance: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && !(await cluster.ownsRunningSaga(instance).catch(() => false)))
    await sleep(5);
}

/**
 * SIGSTOPs `pid` (the order replica `instance`) at a moment it owns a running saga (up to 5 s).
 * The probe's answer is a few ms old when the signal lands, and on a quiet machine a saga
 * finishes in less: so it checks again once frozen (a frozen owner's saga cannot finish by
 * itself), and thaws and tries again while the replica owns nothing.
 */
async function freezeOwning(cluster: Cluster, instance: string, pid: number): Promise<void> {
  if (pid <= 0) throw new Error(`${instance} is not running`);
  const giveUpAt = Date.now() + 5000;
  for (;;) {
    await untilOwning(cluster, instance);
    process.kill(pid, 'SIGSTOP');
    if (Date.now() >= giveUpAt || (await cluster.ownsRunningSaga(instance).catch(() => false))) return;
    process.kill(pid, 'SIGCONT');
  }
}

/**
 * Freezes a process longer than a saga lease: its sagas are taken over by the other replica,
 * and when it runs again every write it still attempts must be fenced off by the epoch. The
 * freeze waits (up to 5 s) until the target owns a running saga, so there is one to fence.
 */
export function pauseFault(cluster: Cluster, target: string, pauseMs: number): Fault {
  return {
    name: `SIGSTOP ${target} ${(pauseMs / 1000).toFixed(0)} s`,
    async inject() {
      const { pid } = cluster.component(target);
      await freezeOwning(cluster, target, pid);
      try {
        await sleep(pauseMs);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
    },
  };
}

/**
 * No acknowledgement without a replica (issue 11, point 1), under load: both replicas of a
 * service's Redis stall (SIGSTOP) and the master drops their links (CLIENT KILL TYPE replica),
 * so what it takes from now reaches no replica; writes stay in flight `stallMs` (their WAIT
 * falls short, or the master refuses them with NOREPLICAS); the master is SIGKILLed; the
 * replicas resume (SIGCONT, in a finally: nothing stays frozen) and Sentinel promotes one.
 * What the master took in the stall is lost with it, so the checker proves none of it was
 * acknowledged. Clients may get 503 with Retry-After meanwhile (allowsUnavailable).
 */
export function stalledReplicasFault(cluster: Cluster, service: string, stallMs = 2000): Fault {
  return {
    name: `SIGSTOP ${service}-redis replicas, SIGKILL master`,
    allowsUnavailable: true,
    async inject() {
      const { master, replicas } = await cluster.redisGroup(service);
      if (replicas.length === 0 || replicas.some((r) => r.pid <= 0)) {
        throw new Error(`${service}: not every replica is running`);
      }
      try {
        for (const replica of replicas) signalGroup(replica.pid, 'SIGSTOP');
        await redisCall(master.port, ['CLIENT', 'KILL', 'TYPE', 'replica']);
        await sleep(stallMs);
        signalGroup(master.pid, 'SIGKILL');
      } finally {
        for (const replica of replicas) signalGroup(replica.pid, 'SIGCONT');
      }
    },
  };
}

/** Every fault of the full suite, in the order the table shows them. */
export function allFaults(cluster: Cluster, leaseMs: number): Fault[] {
  return [
    ...['order-1', 'stock-1', 'payment-1'].map((t) => killFault(cluster, t)),
    ...['order', 'stock', 'payment'].map((s) => killFault(cluster, `${s}-redis-master`)),
    killFault(cluster, 'sentinel-1'),
    killFault(cluster, 'rabbitmq'),
    killFault(cluster, 'nginx'),
    killEachReplicaFault(cluster),
    pauseFault(cluster, 'order-1', 3 * leaseMs),
    ...['order', 'stock', 'payment'].map((s) => stalledReplicasFault(cluster, s)),
  ];
}
