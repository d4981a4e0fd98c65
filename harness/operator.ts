/**
 * The operator as a fault: while the load runs, someone keeps listing the RUNNING sagas on the
 * order replicas' admin API (their own ports, as an operator would) and retries or cancels them
 * on either replica, and in the middle an order replica is SIGKILLed while it owns a running
 * saga. Retries and cancels go through the saga's fenced steps, so the invariant checker must
 * still find nothing: a cancelled checkout answers 4xx and leaves no effect, a retried one
 * finishes once. Any 5xx from the admin API fails the fault.
 */
import type { Cluster } from './cluster.js';
import { killFault, type Fault } from './faults.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { seeded } from './pool.js';

/** The token `npm run chaos` and the chaos test give the cluster (ADMIN_TOKEN). */
export const CHAOS_ADMIN_TOKEN = 'chaos-operator-token-0123456789';

export interface OperatorTally {
  listed: number;
  /** Answers to retry and cancel by status ('error' when the replica was unreachable). */
  retry: Record<string, number>;
  cancel: Record<string, number>;
}

export function operatorFault(
  cluster: Cluster,
  seconds = 6,
  token = CHAOS_ADMIN_TOKEN,
): Fault & { tally: OperatorTally } {
  const tally: OperatorTally = { listed: 0, retry: {}, cancel: {} };
  const random = seeded(7);
  const headers = { authorization: `Bearer ${token}` };
  const replicas = (): string[] =>
    cluster
      .state()
      .components.filter((c) => /^order-\d+$/.test(c.name))
      .map((c) => `http://127.0.0.1:${c.port}`);
  const pick = (): string => {
    const all = replicas();
    return all[Math.floor(random() * all.length)] ?? '';
  };
  const failures: string[] = [];

  async function round(): Promise<void> {
    let orders: string[] = [];
    try {
      const response = await fetch(`${pick()}/admin/sagas?state=RUNNING&limit=20`, { headers });
      if (response.status >= 500) failures.push(`list answered ${response.status}`);
      if (response.status === 200) {
        const body = (await response.json()) as { sagas: { order_id: string }[] };
        orders = body.sagas.map((s) => s.order_id);
        tally.listed += orders.length;
      }
    } catch {
      return; // the replica asked is down (killed): ask again next round
    }
    await Promise.all(
      orders.slice(0, 6).map(async (order) => {
        const action = random() < 0.5 ? 'retry' : 'cancel';
        let status = 'error';
        try {
          const response = await fetch(`${pick()}/admin/sagas/${order}/${action}`, {
            method: 'POST',
            headers,
          });
          status = String(response.status);
          if (response.status >= 500) failures.push(`${action} ${order} answered ${status}`);
        } catch {
          // unreachable replica: counted as 'error'
        }
        tally[action][status] = (tally[action][status] ?? 0) + 1;
      }),
    );
  }

  async function rounds(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      await round();
      await sleep(50);
    }
  }

  const kill = killFault(cluster, 'order-1');
  return {
    name: 'operator retry/cancel + SIGKILL order-1',
    tally,
    async inject() {
      const half = (seconds * 1000) / 2;
      const before = rounds(half);
      // The kill lands while the operator is busy, as soon as order-1 owns a running saga: on a
      // quiet machine the whole load can finish within a second, and a kill after a fixed pause
      // found no saga left to take over.
      await kill.inject();
      await before;
      await rounds(half);
      if (failures.length > 0) throw new Error(`admin API 5xx: ${failures.slice(0, 5).join('; ')}`);
      const acted =
        Object.values(tally.retry).reduce((a, b) => a + b, 0) +
        Object.values(tally.cancel).reduce((a, b) => a + b, 0);
      if (acted === 0) throw new Error('the operator found no RUNNING saga to act on');
    },
  };
}
