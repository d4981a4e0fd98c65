/**
 * The chaos checker's judgement (harness/invariants.ts) on hand-made ledgers and states: it
 * accepts what the invariants (docs/architecture.md) allow, including either outcome of an
 * unanswered request, and names each kind of breach.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, subsetSums } from '../../harness/invariants.js';
import { newLedger, type Answer, type Entry, type Ledger, type Op } from '../../harness/ledger.js';
import { measure } from '../../harness/metrics.js';
import type { Snapshot } from '../../harness/snapshot.js';

function entry(op: Op, ...statuses: Answer[]): Entry {
  return { ...op, tries: statuses.map((status, i) => ({ status, start: i * 10, end: i * 10 + 5 })) };
}

/** One user (credit 100), one item (stock 10, price 5), one order of 2 units costing 10. */
function world(requests: Entry[]): Ledger {
  const ledger = newLedger('http://x');
  ledger.users['u'] = 100;
  ledger.items['i'] = { stock: 10, price: 5 };
  ledger.orders['o'] = { user: 'u', items: [], total: 0, paid: false };
  ledger.requests = [entry({ op: 'add_item', order: 'o', item: 'i', qty: 2 }, 200), ...requests];
  return ledger;
}

function state(
  credit: number,
  stock: number,
  paid: boolean,
  items: [string, number][] = [['i', 2]],
): Snapshot {
  const total = items.reduce((sum, [, qty]) => sum + qty * 5, 0);
  return {
    users: new Map([['u', credit]]),
    items: new Map([['i', { stock, price: 5 }]]),
    orders: new Map([['o', { user: 'u', items, total, paid }]]),
  };
}

const kinds = (ledger: Ledger, snapshot: Snapshot): string[] => evaluate(ledger, snapshot).map((v) => v.kind);
const checkout = (...statuses: Answer[]): Entry => entry({ op: 'checkout', order: 'o' }, ...statuses);

describe('invariant checker', () => {
  it('accepts a paid checkout that took stock and credit once', () => {
    expect(kinds(world([checkout(200), checkout(200)]), state(90, 8, true))).toEqual([]);
  });

  it('finds a double charge and a double stock take', () => {
    expect(kinds(world([checkout(200)]), state(80, 6, true)).sort()).toEqual([
      'credit_conservation',
      'stock_conservation',
    ]);
  });

  it('finds a 200 whose order stayed unpaid, with the charge left behind', () => {
    expect(kinds(world([checkout(200)]), state(90, 8, false)).sort()).toEqual([
      'credit_conservation',
      'ok_but_unpaid',
      'stock_conservation',
    ]);
  });

  it('finds a refused checkout that left its reservation', () => {
    expect(kinds(world([checkout(400)]), state(100, 8, false))).toEqual(['stock_conservation']);
  });

  it('finds an order paid although every checkout was refused', () => {
    expect(kinds(world([checkout(409)]), state(90, 8, true))).toContain('paid_without_ok');
  });

  it('accepts either outcome of a checkout that got no answer, but not half of one', () => {
    expect(kinds(world([checkout('none')]), state(90, 8, true))).toEqual([]);
    expect(kinds(world([checkout('none')]), state(100, 10, false))).toEqual([]);
    expect(kinds(world([checkout('none')]), state(90, 10, true))).toEqual(['stock_conservation']);
  });

  it('treats a 5xx as no answer for the state, and reports it', () => {
    expect(kinds(world([checkout(502)]), state(100, 10, false))).toEqual(['server_error']);
  });

  it('treats a 503 with Retry-After as either outcome, counted apart from the 5xx', () => {
    const unavailable = (): Entry => {
      const e = checkout(503);
      e.tries = e.tries.map((t) => ({ ...t, retryAfter: 2 }));
      return e;
    };
    expect(kinds(world([unavailable()]), state(90, 8, true))).toEqual([]);
    expect(kinds(world([unavailable()]), state(100, 10, false))).toEqual([]);
    expect(kinds(world([unavailable()]), state(95, 8, true)).sort()).toEqual(['credit_conservation']);
    // Without Retry-After a 503 is a server error, as before.
    expect(kinds(world([checkout(503)]), state(100, 10, false))).toEqual(['server_error']);
    const ledger = world([unavailable(), checkout(503)]);
    const m = measure(ledger, 0, undefined);
    expect({ unavailable: m.unavailable, serverErrors: m.serverErrors }).toEqual({
      unavailable: 1,
      serverErrors: 1,
    });
  });

  it('finds a refusal of an order answered 200 before', () => {
    const ledger = world([checkout(200), { ...checkout(), tries: [{ status: 409, start: 50, end: 60 }] }]);
    expect(kinds(ledger, state(90, 8, true))).toEqual(['refused_after_paid']);
  });

  it('counts direct calls by their last answer; unanswered ones may or may not count', () => {
    const calls = [
      entry({ op: 'add_funds', user: 'u', amount: 7, key: 'a' }, 'none', 200),
      entry({ op: 'pay', user: 'u', amount: 50, key: 'b' }, 400),
      entry({ op: 'pay', user: 'u', amount: 3 }, 'none'),
      entry({ op: 'stock_subtract', item: 'i', amount: 4, key: 'c' }, 200),
    ];
    expect(kinds(world(calls), state(107, 6, false))).toEqual([]);
    expect(kinds(world(calls), state(104, 6, false))).toEqual([]);
    expect(kinds(world(calls), state(57, 6, false))).toEqual(['credit_conservation']);
    expect(kinds(world(calls), state(100, 6, false))).toEqual(['credit_conservation']);
  });

  it('requires the order to hold exactly its added lines', () => {
    expect(kinds(world([]), state(100, 10, false, [['i', 3]]))).toEqual(['order_lines']);
    const unanswered = world([entry({ op: 'add_item', order: 'o', item: 'i', qty: 1 }, 'none')]);
    expect(kinds(unanswered, state(100, 10, false, [['i', 3]]))).toEqual([]);
    expect(kinds(unanswered, state(100, 10, false))).toEqual([]);
  });

  it('requires untouched batch orders to stay unpaid and batch entities to exist', () => {
    const ledger = newLedger('http://x');
    ledger.batches = { orders: { n: 2 }, users: { n: 1, credit: 5 }, items: { n: 1, stock: 1, price: 1 } };
    const snapshot: Snapshot = {
      users: new Map([['0', 5]]),
      items: new Map([['0', undefined]]),
      orders: new Map([
        ['0', { user: '0', items: [['0', 1]], total: 0, paid: true }],
        ['1', undefined],
      ]),
    };
    expect(kinds(ledger, snapshot).sort()).toEqual(['item_missing', 'order_missing', 'paid_without_ok']);
  });

  it('requires every fuzz request to answer 4xx', () => {
    const ledger = newLedger('http://x');
    ledger.requests = [
      entry({ op: 'fuzz', method: 'GET', path: '/a', kind: 'path' }, 404),
      entry({ op: 'fuzz', method: 'POST', path: '/b', kind: 'amount' }, 200),
      entry({ op: 'fuzz', method: 'POST', path: '/c', kind: 'id' }, 'none'),
    ];
    expect(kinds(ledger, { users: new Map(), items: new Map(), orders: new Map() })).toEqual([
      'fuzz_not_4xx',
      'fuzz_not_4xx',
    ]);
  });

  it('finds subset sums of unanswered amounts', () => {
    expect(subsetSums(0, [])).toBe(true);
    expect(subsetSums(5, [2, 3, 9])).toBe(true);
    expect(subsetSums(-4, [2, -4, 9])).toBe(true);
    expect(subsetSums(6, [2, 3, 9])).toBe(false);
  });
});

describe('chaos metrics', () => {
  /** 100 useful answers a second from 0 to 10 s, none from `gapFrom` to `gapTo`, one 502 in the gap. */
  function run(gapFrom: number, gapTo: number): Ledger {
    const ledger = newLedger('http://x');
    for (let t = 0; t < 10_000; t += 10) {
      if (t >= gapFrom && t < gapTo) continue;
      ledger.requests.push(entry({ op: 'read', method: 'GET', path: '/x' }, 200));
      const last = ledger.requests[ledger.requests.length - 1];
      if (last) last.tries = [{ status: 200, start: t, end: t }];
    }
    ledger.requests.push({
      op: 'pay',
      user: 'u',
      amount: 1,
      tries: [{ status: 502, start: gapFrom, end: gapFrom + 5 }],
    });
    return ledger;
  }

  it('measures the time from the fault until throughput is back', () => {
    const m = measure(run(4000, 6500), 0, 3800);
    expect(m.baselinePerSec).toBe(100);
    expect(m.recoveryMs).toBe(2700);
    expect(m.recovered).toBe(true);
    expect(m.afterRatio).toBeCloseTo(1, 1);
    expect(m.serverErrors).toBe(1);
    expect(m.failedDuringFault).toBe(1);
  });

  it('reports no recovery time when throughput never fell', () => {
    const m = measure(run(4000, 4100), 0, 3800);
    expect(m.recoveryMs).toBe(0);
  });
});
