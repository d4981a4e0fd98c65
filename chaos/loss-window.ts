/**
 * Measures the acknowledged-write loss window of a Redis master kill (issue 5, item 2):
 * 64 clients add 1 to one item's stock through the gateway as fast as they can; mid-run the
 * stock service's Redis master is SIGKILLed and Sentinel fails over. Every 200 is a write the
 * system acknowledged (after WAIT 1). Afterwards the stock must satisfy
 *   acknowledged <= stock <= acknowledged + unanswered,
 * and `acknowledged - stock` (if positive) is what the kill lost.
 *
 *   npx tsx chaos/loss-window.ts [--rounds 3] [--seconds 20]
 * Starts its own cluster in a temp dir on free ports and stops it by PID when done. Writes
 * results/chaos/loss-window.json (ignored by git); the README's table comes from the curated
 * chaos/results/loss-window.json (copy a run there, then `npm run docs:tables`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, field } from '../harness/client.js';
import { startCluster, stopCluster } from '../harness/cluster.js';
import type { LossWindowRound as Round } from '../scripts/readme-tables.js';
import { commitMeasured, machine, resultsDir } from '../scripts/results.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '20' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const WRITERS = 64;
const KILL_AFTER_MS = 3000;

const measured = { commit: commitMeasured(), machine: machine() };
const cluster = await startCluster();
const results: Round[] = [];
try {
  const api = createClient(cluster.url, WRITERS);
  for (let round = 1; round <= rounds; round++) {
    if ((await api.post('/stock/batch_init/1/0/1')).status !== 200) throw new Error('batch_init failed');
    let acknowledged = 0;
    let unanswered = 0;
    let lastAck = Date.now();
    let longestGapMs = 0;
    const stopAt = Date.now() + seconds * 1000;
    const writers = Array.from({ length: WRITERS }, async () => {
      while (Date.now() < stopAt) {
        try {
          const response = await api.post('/stock/add/0/1');
          if (response.status === 200) {
            acknowledged++;
            const now = Date.now();
            longestGapMs = Math.max(longestGapMs, now - lastAck);
            lastAck = now;
          } else unanswered++;
        } catch {
          unanswered++;
        }
      }
    });
    await sleep(KILL_AFTER_MS);
    await cluster.kill('stock-redis-master');
    await Promise.all(writers);
    await sleep(2000);
    const stock = field<number>(await api.get('/stock/find/0'), 'stock');
    const result: Round = {
      round,
      acknowledged,
      unanswered,
      stock,
      lost: Math.max(0, acknowledged - stock),
      invented: Math.max(0, stock - acknowledged - unanswered),
      longestGapMs,
    };
    results.push(result);
    console.log(JSON.stringify(result));
    // Let the killed master rejoin as a replica before the next round kills the new one.
    await sleep(15_000);
  }
  api.close();
} finally {
  await stopCluster(cluster);
}

writeFileSync(
  join(resultsDir('chaos'), 'loss-window.json'),
  `${JSON.stringify({ at: new Date().toISOString(), ...measured, results }, null, 2)}\n`,
);
console.log(
  '| round | acknowledged | unanswered | stock after | lost | invented | longest gap without acks |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.round} | ${r.acknowledged} | ${r.unanswered} | ${r.stock} | ${r.lost} | ${r.invented} | ${r.longestGapMs} ms |`,
  );
}
