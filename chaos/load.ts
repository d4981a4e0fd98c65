/**
 * The ledger-keeping load generator on its own, against any running deployment:
 *
 *   npx tsx chaos/load.ts --url http://127.0.0.1:8000 --ledger run.json
 *       [--workload mixed|consistency] [--entities 100000] [--orders 12000] [--workers 64]
 *       [--rounds 8] [--buyers 1000] [--seed 1]
 *
 * Builds the workload's initial state, sends its load, and writes every request with its
 * answers to the ledger file. Inject faults by hand meanwhile (e.g. `npm run cluster -- kill
 * order-1`), then judge the result with chaos/check.ts.
 */
import { parseArgs } from 'node:util';
import { saveLedger, newLedger } from '../harness/ledger.js';
import { measure } from '../harness/metrics.js';
import { createRecorder } from '../harness/recorder.js';
import { consistencyWorkload, mixedWorkload } from '../harness/workloads.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8000' },
    ledger: { type: 'string' },
    workload: { type: 'string', default: 'mixed' },
    entities: { type: 'string', default: '100000' },
    orders: { type: 'string', default: '12000' },
    workers: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '8' },
    buyers: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
  },
});
if (values.ledger === undefined || !['mixed', 'consistency'].includes(values.workload)) {
  console.error('usage: npx tsx chaos/load.ts --url URL --ledger FILE [--workload mixed|consistency]');
  process.exit(2);
}

const workload =
  values.workload === 'mixed'
    ? mixedWorkload({
        entities: Number(values.entities),
        orders: Number(values.orders),
        workers: Number(values.workers),
        seed: Number(values.seed),
      })
    : consistencyWorkload({ rounds: Number(values.rounds), buyers: Number(values.buyers) });
const ledger = newLedger(values.url);
const rec = createRecorder(ledger, { connections: 128, timeoutMs: 60_000 });
try {
  await workload.prepare(rec);
  const runStart = rec.now();
  await workload.run(rec);
  const m = measure(ledger, runStart, undefined);
  console.log(
    `${workload.checkouts()} checkouts in ${m.requests} requests over ${(m.durationMs / 1000).toFixed(1)} s: ` +
      `${m.serverErrors} x 5xx, ${m.noAnswer} without answer, ${m.unexpected4xx} unexpected 4xx, ${m.unresolved} unresolved`,
  );
} finally {
  rec.close();
  saveLedger(values.ledger, ledger);
  console.log(`ledger written to ${values.ledger}`);
}
