/**
 * The invariant checker on its own, against any running deployment and a ledger file:
 *
 *   npx tsx chaos/check.ts --url http://127.0.0.1:8000 --ledger run.json
 *       [--cluster-dir .cluster | --redis-port 6379] [--order-prefix order:]
 *       [--settle-ms 60000] [--untouched 1] [--json]
 *
 * With --cluster-dir (the order master found through the cluster's Sentinels) or --redis-port,
 * "no saga unfinished" is read from the order store's lease index; without, the checker waits
 * for two equal snapshots. --untouched F reads only that fraction of the batch_init ids the
 * ledger never touched (default all). Prints a report; exits 1 on any violation (a 5xx is one).
 */
import { parseArgs } from 'node:util';
import { readPlan } from '../src/cluster/state.js';
import { check, formatReport, redisLeaseProbe, type UnfinishedProbe } from '../harness/checker.js';
import { loadLedger } from '../harness/ledger.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    ledger: { type: 'string' },
    'cluster-dir': { type: 'string' },
    'redis-port': { type: 'string' },
    'order-prefix': { type: 'string', default: 'order:' },
    'settle-ms': { type: 'string', default: '60000' },
    untouched: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});

if (values.ledger === undefined) {
  console.error('usage: npx tsx chaos/check.ts --url URL --ledger FILE [--cluster-dir DIR | --redis-port N]');
  process.exit(2);
}
const ledger = loadLedger(values.ledger);
if (values.url !== undefined) ledger.target = values.url;

let unfinished: UnfinishedProbe | undefined;
if (values['cluster-dir'] !== undefined) {
  unfinished = redisLeaseProbe(
    { sentinelPorts: readPlan(values['cluster-dir']).sentinelPorts },
    values['order-prefix'],
  );
} else if (values['redis-port'] !== undefined) {
  unfinished = redisLeaseProbe({ port: Number(values['redis-port']) }, values['order-prefix']);
}

const report = await check(ledger, {
  settleMs: Number(values['settle-ms']),
  untouched: Number(values.untouched),
  ...(unfinished === undefined ? {} : { unfinished }),
});
console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
process.exit(report.ok ? 0 : 1);
