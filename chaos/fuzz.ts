/**
 * The fuzzer on its own, against any running deployment:
 *
 *   npx tsx chaos/fuzz.ts --url http://127.0.0.1:8000 [--count 10000] [--width 32] [--seed 7]
 *       [--ledger fuzz-ledger.json]
 *
 * Sets up a user, an item and three orders, sends `count` random bad requests, then runs the
 * invariant checker: every bad request must have answered 4xx (never 5xx or no answer) and
 * the state must be exactly what the set-up left. Exits 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { check, formatReport } from '../harness/checker.js';
import { fuzz, prepareTargets } from '../harness/fuzzer.js';
import { newLedger, saveLedger } from '../harness/ledger.js';
import { createRecorder } from '../harness/recorder.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8000' },
    count: { type: 'string', default: '10000' },
    width: { type: 'string', default: '32' },
    seed: { type: 'string', default: '7' },
    ledger: { type: 'string' },
  },
});

const ledger = newLedger(values.url);
const rec = createRecorder(ledger, { connections: Number(values.width), timeoutMs: 10_000 });
const targets = await prepareTargets(rec);
const started = Date.now();
const kinds = await fuzz(rec, targets, Number(values.count), Number(values.width), Number(values.seed));
const seconds = (Date.now() - started) / 1000;
rec.close();
const statuses: Record<string, number> = {};
for (const entry of ledger.requests) {
  if (entry.op !== 'fuzz') continue;
  const status = String(entry.tries[entry.tries.length - 1]?.status ?? 'none');
  statuses[status] = (statuses[status] ?? 0) + 1;
}
console.log(`sent ${values.count} bad requests in ${seconds.toFixed(1)} s: ${JSON.stringify(kinds)}`);
console.log(`answers: ${JSON.stringify(statuses)}`);
if (values.ledger !== undefined) saveLedger(values.ledger, ledger);
const report = await check(ledger, { settleMs: 30_000 });
console.log(formatReport(report));
process.exit(report.ok ? 0 : 1);
