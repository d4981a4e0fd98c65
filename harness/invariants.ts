/**
 * The invariants (docs/architecture.md) judged from outside: a ledger (what was sent and answered) against a
 * snapshot (the state read afterwards). Pure, so it can be tested on hand-made cases.
 *
 * - Conservation, per item and per user: initial + certain adds − certain removals − what
 *   the orders paid in this run hold (or cost) = now, up to some subset of the requests that
 *   got no answer (either outcome is allowed for them, but nothing else).
 * - 200 from checkout ⇒ paid; paid ⇒ some checkout answered 200 or got no answer; after a
 *   200, a repeat never answers a refusal. Charged exactly once follows from conservation.
 * - Any 4xx ⇒ no effect: a refused request is not counted, so its effect would break the sums.
 * - Orders hold exactly their initial lines plus the added ones, and cost what those lines cost.
 * - A request built to be refused (fuzz) answered 4xx; nothing answered 5xx.
 */
import {
  finalAnswer,
  isAmbiguous,
  type Entry,
  type ItemLine,
  type Ledger,
  type OrderState,
} from './ledger.js';
import type { Snapshot } from './snapshot.js';
import { isUnavailable } from './metrics.js';

export interface Violation {
  kind: string;
  id: string;
  detail: string;
}

/** Ids the checker must read to judge the ledger. */
export interface Scope {
  items: Set<string>;
  users: Set<string>;
  orders: Set<string>;
}

const range = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

/**
 * Every entity the ledger knows or touched, plus `untouched` (a fraction, 1 = all) of the
 * other ids of each batch_init: nothing may have happened to those.
 */
export function scopeOf(ledger: Ledger, untouched = 1): Scope {
  const scope: Scope = {
    items: new Set(Object.keys(ledger.items)),
    users: new Set(Object.keys(ledger.users)),
    orders: new Set(Object.keys(ledger.orders)),
  };
  if (untouched > 0) {
    const step = Math.max(1, Math.round(1 / untouched));
    const every = (n: number): string[] => range(n).filter((id) => Number(id) % step === 0);
    every(ledger.batches.items?.n ?? 0).forEach((id) => scope.items.add(id));
    every(ledger.batches.users?.n ?? 0).forEach((id) => scope.users.add(id));
    every(ledger.batches.orders?.n ?? 0).forEach((id) => scope.orders.add(id));
  }
  for (const entry of ledger.requests) {
    if ('item' in entry) scope.items.add(entry.item);
    if ('user' in entry) scope.users.add(entry.user);
    if ('order' in entry) scope.orders.add(entry.order);
  }
  return scope;
}

function initialItem(ledger: Ledger, id: string): { stock: number; price: number } | undefined {
  const batch = ledger.batches.items;
  return ledger.items[id] ?? (batch && inBatch(id, batch.n) ? batch : undefined);
}

function initialCredit(ledger: Ledger, id: string): number | undefined {
  const batch = ledger.batches.users;
  return ledger.users[id] ?? (batch && inBatch(id, batch.n) ? batch.credit : undefined);
}

function inBatch(id: string, n: number): boolean {
  return /^(0|[1-9][0-9]*)$/.test(id) && Number(id) < n;
}

/** True if some subset of `values` sums to `target` (values are few: requests without answer). */
export function subsetSums(target: number, values: readonly number[]): boolean {
  if (target === 0) return true;
  let sums = new Set<number>([0]);
  for (const value of values) {
    const next = new Set(sums);
    for (const sum of sums) next.add(sum + value);
    sums = next;
    if (sums.size > 200_000) {
      // Too many to enumerate: accept anything within reach of all of them together.
      const low = values.filter((v) => v < 0).reduce((a, b) => a + b, 0);
      const high = values.filter((v) => v > 0).reduce((a, b) => a + b, 0);
      return target >= low && target <= high;
    }
  }
  return sums.has(target);
}

interface Ledgered {
  certain: number;
  unknown: number[];
}

const bump = (map: Map<string, Ledgered>, id: string, value: number, ambiguous: boolean): void => {
  const entry = map.get(id) ?? { certain: 0, unknown: [] };
  if (ambiguous) entry.unknown.push(value);
  else entry.certain += value;
  map.set(id, entry);
};

/** Effects of direct stock and payment calls: 200 counts, no answer may count, 4xx never. */
function directEffects(requests: readonly Entry[]): {
  items: Map<string, Ledgered>;
  users: Map<string, Ledgered>;
} {
  const items = new Map<string, Ledgered>();
  const users = new Map<string, Ledgered>();
  for (const entry of requests) {
    const answer = finalAnswer(entry);
    if (answer !== 200 && !isAmbiguous(answer)) continue;
    const ambiguous = answer !== 200;
    if (entry.op === 'stock_add') bump(items, entry.item, entry.amount, ambiguous);
    if (entry.op === 'stock_subtract') bump(items, entry.item, -entry.amount, ambiguous);
    if (entry.op === 'add_funds') bump(users, entry.user, entry.amount, ambiguous);
    if (entry.op === 'pay') bump(users, entry.user, -entry.amount, ambiguous);
  }
  return { items, users };
}

const totals = (lines: readonly ItemLine[]): Map<string, number> => {
  const map = new Map<string, number>();
  for (const [item, qty] of lines) map.set(item, (map.get(item) ?? 0) + qty);
  return map;
};

const sameLines = (a: readonly ItemLine[], b: readonly ItemLine[]): boolean => {
  const x = totals(a);
  const y = totals(b);
  return x.size === y.size && [...x].every(([item, qty]) => y.get(item) === qty);
};

type AddItem = Extract<Entry, { op: 'add_item' }>;

/** The order's lines and cost must be its start plus the added lines (some unanswered ones may count). */
function checkLines(
  id: string,
  start: OrderState,
  now: OrderState,
  adds: readonly AddItem[],
  price: (item: string) => number | undefined,
  out: Violation[],
): void {
  const certain = adds.filter((a) => finalAnswer(a) === 200);
  const unknown = adds.filter((a) => isAmbiguous(finalAnswer(a)));
  const cost = (list: readonly AddItem[]): number =>
    list.reduce((sum, a) => sum + a.qty * (price(a.item) ?? Number.NaN), 0);
  const limit = unknown.length > 12 ? 0 : 2 ** unknown.length;
  for (let mask = 0; mask < Math.max(limit, 1); mask++) {
    const chosen = [...certain, ...unknown.filter((_, i) => (mask >> i) & 1)];
    const lines: ItemLine[] = [...start.items, ...chosen.map((a): ItemLine => [a.item, a.qty])];
    if (sameLines(lines, now.items) && now.total === start.total + cost(chosen)) return;
  }
  out.push({
    kind: 'order_lines',
    id,
    detail: `holds ${JSON.stringify(now.items)} costing ${now.total}; started ${JSON.stringify(start.items)} at ${start.total}, ${certain.length} adds answered 200, ${unknown.length} unanswered`,
  });
}

/** Checkout answers of one order against its paid flag. */
function checkPaid(
  id: string,
  wasPaid: boolean,
  paid: boolean,
  checkouts: readonly Entry[],
  out: Violation[],
): void {
  const tries = checkouts.flatMap((c) => c.tries).sort((a, b) => a.start - b.start);
  const ok = tries.filter((t) => t.status === 200);
  if (ok.length > 0 && !paid)
    out.push({ kind: 'ok_but_unpaid', id, detail: 'checkout answered 200, order unpaid' });
  if (paid && !wasPaid && ok.length === 0 && !tries.some((t) => isAmbiguous(t.status))) {
    const detail =
      tries.length === 0
        ? 'paid, but nobody checked it out'
        : `paid, but every checkout was refused (${tries.map((t) => t.status).join(',')})`;
    out.push({ kind: 'paid_without_ok', id, detail });
  }
  if (wasPaid && !paid) out.push({ kind: 'unpaid_again', id, detail: 'was paid, is unpaid' });
  const firstOk = ok[0];
  const refusedLater =
    firstOk &&
    tries.find((t) => t.start > firstOk.end && t.status !== 'none' && t.status >= 400 && t.status < 500);
  if (refusedLater) {
    out.push({
      kind: 'refused_after_paid',
      id,
      detail: `checkout answered ${refusedLater.status} after an earlier 200`,
    });
  }
}

export function evaluate(ledger: Ledger, snapshot: Snapshot): Violation[] {
  const out: Violation[] = [];
  const byOrder = new Map<string, Entry[]>();
  for (const entry of ledger.requests) {
    if (entry.op === 'checkout' || entry.op === 'add_item') {
      byOrder.set(entry.order, [...(byOrder.get(entry.order) ?? []), entry]);
    }
    for (const t of entry.tries) {
      // A 503 with Retry-After is a bounded wait, counted apart (metrics.ts); its write is uncertain.
      if (t.status !== 'none' && t.status >= 500 && !isUnavailable(t)) {
        out.push({
          kind: 'server_error',
          id: `${entry.op} ${JSON.stringify(entry).slice(0, 100)}`,
          detail: `${t.status} ${t.error ?? ''}`,
        });
      }
    }
    const answer = finalAnswer(entry);
    if (entry.op === 'fuzz' && (answer === 'none' || answer < 400 || answer >= 500)) {
      out.push({
        kind: 'fuzz_not_4xx',
        id: `${entry.method} ${entry.path}`,
        detail: `${entry.kind}: answered ${answer}`,
      });
    }
  }

  // What the orders paid during this run took from items and users.
  const taken = new Map<string, number>();
  const spent = new Map<string, number>();
  for (const [id, now] of snapshot.orders) {
    const start = ledger.orders[id];
    const entries = byOrder.get(id) ?? [];
    if (now === undefined) {
      if (start !== undefined || inBatch(id, ledger.batches.orders?.n ?? 0))
        out.push({ kind: 'order_missing', id, detail: 'not found' });
      continue;
    }
    checkPaid(
      id,
      start?.paid ?? false,
      now.paid,
      entries.filter((e) => e.op === 'checkout'),
      out,
    );
    if (start !== undefined) {
      if (now.user !== start.user)
        out.push({ kind: 'order_user', id, detail: `user ${now.user}, was ${start.user}` });
      const adds = entries.filter((e): e is AddItem => e.op === 'add_item');
      checkLines(id, start, now, adds, (item) => initialItem(ledger, item)?.price, out);
    }
    if (now.paid && !(start?.paid ?? false)) {
      spent.set(now.user, (spent.get(now.user) ?? 0) + now.total);
      for (const [item, qty] of now.items) taken.set(item, (taken.get(item) ?? 0) + qty);
    }
  }

  const direct = directEffects(ledger.requests);
  for (const [id, now] of snapshot.items) {
    const start = initialItem(ledger, id);
    if (start === undefined) continue;
    if (now === undefined) {
      out.push({ kind: 'item_missing', id, detail: 'not found' });
      continue;
    }
    if (now.price !== start.price)
      out.push({ kind: 'item_price', id, detail: `price ${now.price}, was ${start.price}` });
    if (now.stock < 0) out.push({ kind: 'negative_stock', id, detail: `stock ${now.stock}` });
    const effects = direct.items.get(id) ?? { certain: 0, unknown: [] };
    const expected = start.stock + effects.certain - (taken.get(id) ?? 0);
    if (!subsetSums(now.stock - expected, effects.unknown)) {
      out.push({
        kind: 'stock_conservation',
        id,
        detail: `stock ${now.stock}, expected ${expected} (start ${start.stock}, direct ${effects.certain}, paid orders took ${taken.get(id) ?? 0}, unanswered ${JSON.stringify(effects.unknown)})`,
      });
    }
  }
  for (const [id, now] of snapshot.users) {
    const start = initialCredit(ledger, id);
    if (start === undefined) continue;
    if (now === undefined) {
      out.push({ kind: 'user_missing', id, detail: 'not found' });
      continue;
    }
    if (now < 0) out.push({ kind: 'negative_credit', id, detail: `credit ${now}` });
    const effects = direct.users.get(id) ?? { certain: 0, unknown: [] };
    const expected = start + effects.certain - (spent.get(id) ?? 0);
    if (!subsetSums(now - expected, effects.unknown)) {
      out.push({
        kind: 'credit_conservation',
        id,
        detail: `credit ${now}, expected ${expected} (start ${start}, direct ${effects.certain}, paid orders cost ${spent.get(id) ?? 0}, unanswered ${JSON.stringify(effects.unknown)})`,
      });
    }
  }
  return out;
}
