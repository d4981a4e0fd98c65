/**
 * 10,000 random bad requests (paths, ids, amounts, methods, headers, bodies, and well-formed
 * requests that must be refused) against `npm start`'s process: every one answers 4xx — never
 * a 5xx or a hang — and the invariant checker finds the state exactly as the set-up left it.
 */
import { describe, expect, it } from 'vitest';
import { check, formatReport } from '../../harness/checker.js';
import { fuzz, mayBeValid, prepareTargets } from '../../harness/fuzzer.js';
import { finalAnswer, newLedger } from '../../harness/ledger.js';
import { createRecorder } from '../../harness/recorder.js';
import { useEmbedded } from '../support/embedded.js';

const COUNT = 10_000;
const baseUrl = useEmbedded('fuzz');

describe('fuzzing', () => {
  it('never lets the generator send a request that could succeed', () => {
    expect(mayBeValid('POST', '/payment/create_user')).toBe(true);
    expect(mayBeValid('POST', '//payment//create_user/')).toBe(true);
    expect(mayBeValid('POST', '/stock/x/../item/create/5?a=1')).toBe(true);
    expect(mayBeValid('POST', '/payment/batch_init/1/0')).toBe(true);
    expect(mayBeValid('HEAD', '/health')).toBe(true);
    expect(mayBeValid('POST', '/stock/find/abc')).toBe(false);
    expect(mayBeValid('POST', '/stock/item/create/0')).toBe(false);
  });

  it(`answers ${COUNT} random bad requests with 4xx and changes nothing`, async () => {
    const ledger = newLedger(baseUrl());
    const rec = createRecorder(ledger, { connections: 32, timeoutMs: 10_000 });
    const targets = await prepareTargets(rec);
    const kinds = await fuzz(rec, targets, COUNT, 32);
    rec.close();

    const answers = ledger.requests.filter((e) => e.op === 'fuzz').map(finalAnswer);
    expect(answers).toHaveLength(COUNT);
    expect(Object.keys(kinds).sort()).toEqual(['amount', 'header', 'id', 'method', 'path', 'refused']);
    const statuses = new Map<string, number>();
    for (const a of answers) statuses.set(String(a), (statuses.get(String(a)) ?? 0) + 1);
    console.log(`fuzz: ${JSON.stringify(kinds)} answered ${JSON.stringify(Object.fromEntries(statuses))}`);

    const report = await check(ledger, { settleMs: 20_000 });
    expect(report.violations, formatReport(report)).toEqual([]);
    expect(report.answers.serverError + report.answers.none).toBe(0);
  }, 90_000);
});
