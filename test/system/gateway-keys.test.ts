/**
 * The gateway's own Idempotency-Key (issue 11, point 4): every write endpoint sent without a
 * client key while order-1, stock-1 and payment-1 are SIGKILLed in turn. nginx re-sends a
 * write whose replica died to the other one under the same key, so no client sees a 5xx and
 * the ledger balances exactly: each 200 applied once, nothing else applied.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport } from '../../harness/checker.js';
import { startCluster, stopCluster, type Cluster } from '../../harness/cluster.js';
import { formatErrors, formatTable, rowOf } from '../../harness/report.js';
import { runScenario } from '../../harness/scenario.js';
import { killEachReplicaFault, unkeyedWorkload } from '../../harness/unkeyed.js';

let dir = '';
let cluster: Cluster | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-keys-'));
  cluster = await startCluster(dir);
}, 300_000);

afterAll(async () => {
  if (cluster) await stopCluster(cluster);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
}, 200_000);

describe('gateway keys for unkeyed writes', () => {
  it('applies every unkeyed write exactly once, with no 5xx, while each service replica is SIGKILLed in turn', async () => {
    if (cluster === undefined) throw new Error('no cluster');
    expect(await cluster.waitHealthy(120_000)).toEqual([]);
    const result = await runScenario({
      url: cluster.url,
      workload: unkeyedWorkload({ requests: 4000, workers: 64 }),
      fault: killEachReplicaFault(cluster),
      faultAt: 0.2,
      unfinished: cluster.unfinished,
    });
    const row = rowOf(result, 0);
    console.log(`${formatTable([row])}\n${formatErrors([row])}\n${formatReport(result.check)}`);
    expect(result.faultError).toBeUndefined();
    expect(row.serverErrors).toBe(0);
    expect(row.noAnswer).toBe(0);
    expect(result.check.violations).toEqual([]);
  }, 400_000);
});
