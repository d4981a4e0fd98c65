/**
 * The short chaos suite (the full one is `npm run chaos`): a local cluster started once for
 * this file in a temp dir on free ports, the consistency scenario with an order replica and
 * then the broker SIGKILLed mid-run, and the mixed load with an order replica frozen longer
 * than its lease (its sagas are taken over; when it runs again it must be fenced off), and
 * with the order Redis' replicas stalled while its master is SIGKILLed (no write acknowledged
 * that no replica has). The invariant checker must find nothing, and no client may see a 5xx
 * (but a 503 with Retry-After where the fault allows it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, stopCluster, type Cluster } from '../../harness/cluster.js';
import { killFault, pauseFault, stalledReplicasFault, type Fault } from '../../harness/faults.js';
import { CHAOS_ADMIN_TOKEN, operatorFault } from '../../harness/operator.js';
import { check, formatReport } from '../../harness/checker.js';
import { fuzz, prepareTargets } from '../../harness/fuzzer.js';
import { newLedger } from '../../harness/ledger.js';
import { createRecorder } from '../../harness/recorder.js';
import { formatErrors, formatTable, rowOf } from '../../harness/report.js';
import { runScenario } from '../../harness/scenario.js';
import { watchTakeovers } from '../../harness/takeovers.js';
import { consistencyWorkload, mixedWorkload, type Workload } from '../../harness/workloads.js';

let dir = '';
let cluster: Cluster | undefined;

beforeAll(async () => {
  if (!existsSync(resolve('dist/cluster/cli.js'))) throw new Error('dist/ missing: run npm run build first');
  dir = mkdtempSync(join(tmpdir(), 'chaos-test-'));
  // The admin API on, for the operator row.
  cluster = await startCluster(dir, { env: { ADMIN_TOKEN: CHAOS_ADMIN_TOKEN } });
}, 300_000);

afterAll(async () => {
  if (cluster) await stopCluster(cluster);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
}, 200_000);

function theCluster(): Cluster {
  if (cluster === undefined) throw new Error('no cluster');
  return cluster;
}

async function survives(workload: Workload, fault: Fault): Promise<{ takeovers: number }> {
  const c = theCluster();
  expect(await c.waitHealthy(120_000)).toEqual([]);
  const takeovers = await watchTakeovers(() => c.orderReplicas());
  const result = await runScenario({ url: c.url, workload, fault, unfinished: c.unfinished });
  const row = rowOf(result, await takeovers.stop());
  console.log(`${formatTable([row])}\n${formatErrors([row])}\ntakeovers: ${row.takeovers}`);
  expect(result.faultError).toBeUndefined();
  expect(result.check.violations).toEqual([]);
  expect(row.serverErrors).toBe(0);
  if (fault.allowsUnavailable) {
    // The fault makes the store refuse acknowledgements for seconds: a client whose three tries
    // all fell into it gives up with the 503 (its write applied once or not at all, which the
    // checker accounts for). CI saw 2 such of 1,739 requests; it must not be anything else.
    expect(row.unresolved).toBeLessThanOrEqual(row.unavailable ?? 0);
  } else {
    // 503 with Retry-After only where the fault makes the store refuse acknowledgements.
    expect(row.unavailable ?? 0).toBe(0);
    expect(row.unresolved).toBe(0);
  }
  return { takeovers: row.takeovers ?? 0 };
}

describe('gateway under bad requests', () => {
  it('answers the bare service prefixes with a 4xx, not a redirect', async () => {
    const url = theCluster().url;
    for (const path of ['/orders', '/stock', '/payment', '/orders?x=1']) {
      const response = await fetch(`${url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(404);
    }
  });

  it('answers 3000 random bad requests through nginx with 4xx and changes nothing', async () => {
    const ledger = newLedger(theCluster().url);
    const rec = createRecorder(ledger, { connections: 32, timeoutMs: 10_000 });
    await fuzz(rec, await prepareTargets(rec), 3000, 32);
    rec.close();
    const report = await check(ledger, { settleMs: 20_000, unfinished: theCluster().unfinished });
    expect(report.violations, formatReport(report)).toEqual([]);
  }, 120_000);
});

describe('chaos (short)', () => {
  it('keeps the consistency scenario exact when an order replica is SIGKILLed', async () => {
    const fault = killFault(theCluster(), 'order-1');
    const { takeovers } = await survives(consistencyWorkload({ rounds: 3, buyers: 300 }), fault);
    // It died owning running sagas (the fault waits for one): the other replica finished them.
    expect(takeovers).toBeGreaterThan(0);
  }, 240_000);

  it('keeps the consistency scenario exact when the broker is SIGKILLed', async () => {
    await survives(consistencyWorkload({ rounds: 3, buyers: 300 }), killFault(theCluster(), 'rabbitmq'));
  }, 240_000);

  it('fences off an order replica frozen longer than its lease', async () => {
    const workload = mixedWorkload({ entities: 5000, orders: 1500, workers: 32 });
    const { takeovers } = await survives(workload, pauseFault(theCluster(), 'order-1', 6000));
    // The frozen replica owned a running saga (the fault waits for one): the other took it.
    expect(takeovers).toBeGreaterThan(0);
  }, 240_000);

  it('acknowledges nothing no replica has: order Redis replicas stalled, master SIGKILLed under mixed load', async () => {
    const workload = mixedWorkload({ entities: 5000, orders: 1500, workers: 32 });
    await survives(workload, stalledReplicasFault(theCluster(), 'order'));
  }, 240_000);

  it('keeps the consistency scenario exact while an operator retries and cancels and an order replica is SIGKILLed', async () => {
    const fault = operatorFault(theCluster());
    const { takeovers } = await survives(consistencyWorkload({ rounds: 3, buyers: 300 }), fault);
    console.log(`operator: ${JSON.stringify(fault.tally)}`);
    // The operator acted (the fault fails otherwise), and the killed replica's sagas were taken over.
    expect(takeovers).toBeGreaterThan(0);
  }, 240_000);
});
