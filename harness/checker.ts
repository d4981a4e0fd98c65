/**
 * The invariant checker: waits (bounded) until the deployment has settled, reads every entity
 * the ledger names, and judges it (invariants.ts). "No saga unfinished" is confirmed through
 * the order store's lease index when a Redis probe is given, else by two equal snapshots in a
 * row: with nothing running, nothing may still move.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from './client.js';
import { orderKeys } from '../src/services/order/keys.js';
import { redisCall } from '../src/cluster/redis-probe.js';
import { sentinelMasterPort } from '../src/cluster/redis-probe.js';
import { evaluate, scopeOf, type Violation } from './invariants.js';
import { finalAnswer, type Ledger } from './ledger.js';
import { readAll, type Snapshot } from './snapshot.js';

/** Counts the sagas not finished yet (the order store's lease index). */
export type UnfinishedProbe = () => Promise<number>;

export interface CheckOptions {
  client?: Client;
  /** Reads in flight. */
  width?: number;
  /** How long to wait for sagas to finish and the state to be stable. */
  settleMs?: number;
  /**
   * Fraction of the batch_init ids the ledger never touched to read as well (default 1: all);
   * a full read of 300k entities takes long on a busy machine.
   */
  untouched?: number;
  unfinished?: UnfinishedProbe;
}

export interface CheckReport {
  ok: boolean;
  violations: Violation[];
  /** Violations by kind. */
  kinds: Record<string, number>;
  entities: { items: number; users: number; orders: number; paidOrders: number };
  answers: { ok: number; refused: number; serverError: number; none: number };
  unfinishedSagas: number | undefined;
  settledMs: number;
}

/** The order store's lease index on a Redis found through Sentinel (or a fixed port). */
export function redisLeaseProbe(
  where: { sentinelPorts: number[] } | { port: number },
  prefix = 'order:',
): UnfinishedProbe {
  const key = orderKeys(prefix).leases();
  return async () => {
    const port = 'port' in where ? where.port : await sentinelMasterPort(where.sentinelPorts, 'order');
    if (port === undefined) throw new Error('no Sentinel names an order master');
    const count = await redisCall(port, ['ZCARD', key], 2000);
    if (typeof count !== 'number') throw new Error(`ZCARD ${key} answered ${JSON.stringify(count)}`);
    return count;
  };
}

/** Violations found in the answers alone, not in the state. */
const ANSWER_KINDS: ReadonlySet<string> = new Set(['server_error', 'fuzz_not_4xx', 'refused_after_paid']);

const fingerprint = (s: Snapshot): string => JSON.stringify([[...s.items], [...s.users], [...s.orders]]);

function summarise(
  ledger: Ledger,
  snapshot: Snapshot,
  violations: Violation[],
  unfinished: number | undefined,
  settledMs: number,
): CheckReport {
  const kinds: Record<string, number> = {};
  for (const v of violations) kinds[v.kind] = (kinds[v.kind] ?? 0) + 1;
  const answers = { ok: 0, refused: 0, serverError: 0, none: 0 };
  for (const entry of ledger.requests) {
    const answer = finalAnswer(entry);
    if (answer === 'none') answers.none++;
    else if (answer >= 500) answers.serverError++;
    else if (answer === 200) answers.ok++;
    else answers.refused++;
  }
  const orders = [...snapshot.orders.values()];
  return {
    ok: violations.length === 0,
    violations,
    kinds,
    entities: {
      items: snapshot.items.size,
      users: snapshot.users.size,
      orders: orders.length,
      paidOrders: orders.filter((o) => o?.paid === true).length,
    },
    answers,
    unfinishedSagas: unfinished,
    settledMs,
  };
}

async function probeOrUndefined(probe: UnfinishedProbe | undefined): Promise<number | undefined> {
  if (probe === undefined) return undefined;
  try {
    return await probe();
  } catch {
    return undefined;
  }
}

export async function check(ledger: Ledger, opts: CheckOptions = {}): Promise<CheckReport> {
  const client = opts.client ?? createClient(ledger.target, opts.width ?? 64, 30_000);
  const started = Date.now();
  const deadline = started + (opts.settleMs ?? 60_000);
  const scope = scopeOf(ledger, opts.untouched ?? 1);
  try {
    let unfinished = await probeOrUndefined(opts.unfinished);
    while (unfinished !== undefined && unfinished > 0 && Date.now() < deadline) {
      await sleep(250);
      unfinished = await probeOrUndefined(opts.unfinished);
    }
    let previous: Snapshot | undefined;
    for (;;) {
      const snapshot = await readAll(client, scope, opts.width ?? 64);
      const violations = evaluate(ledger, snapshot);
      if (opts.unfinished) unfinished = await probeOrUndefined(opts.unfinished);
      const stable = opts.unfinished
        ? unfinished === 0
        : previous !== undefined && fingerprint(previous) === fingerprint(snapshot);
      // Broken sums may be a saga still compensating: look again until the deadline. Answers
      // already given (a 5xx, a fuzz request not refused) will not change by waiting.
      const moving = violations.filter((v) => !ANSWER_KINDS.has(v.kind));
      const done = stable && moving.length === 0;
      if (done || Date.now() >= deadline) {
        if (!stable) {
          violations.push({
            kind: 'unfinished',
            id: '-',
            detail: opts.unfinished ? `${unfinished ?? '?'} sagas still unfinished` : 'state still changing',
          });
        }
        return summarise(ledger, snapshot, violations, unfinished, Date.now() - started);
      }
      previous = snapshot;
      await sleep(moving.length === 0 ? 200 : 1000);
    }
  } finally {
    if (opts.client === undefined) client.close();
  }
}

/** The report as text: a summary line, then up to `perKind` violations of each kind. */
export function formatReport(report: CheckReport, perKind = 10): string {
  const { entities: e, answers: a } = report;
  const lines = [
    `${report.ok ? 'OK' : 'VIOLATIONS'}: ${report.violations.length} violations over ${e.items} items, ${e.users} users, ${e.orders} orders (${e.paidOrders} paid)`,
    `answers: ${a.ok} x 200, ${a.refused} x 4xx, ${a.serverError} x 5xx, ${a.none} without answer; settled in ${report.settledMs} ms` +
      (report.unfinishedSagas === undefined ? '' : `, ${report.unfinishedSagas} sagas unfinished`),
  ];
  for (const [kind, count] of Object.entries(report.kinds)) {
    lines.push(`  ${kind}: ${count}`);
    for (const v of report.violations.filter((x) => x.kind === kind).slice(0, perKind)) {
      lines.push(`    ${v.id}: ${v.detail}`);
    }
  }
  return lines.join('\n');
}
