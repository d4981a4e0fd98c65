/**
 * The ledger: what a load generator created, sent and was told, written as JSON so that the
 * invariant checker (checker.ts) can judge a deployment's final state against it afterwards,
 * in the same process or later from the file (check.ts).
 *
 * Initial state is either a batch_init range ("0".."n-1" with one starting value) or an
 * entity recorded one by one (created by the generator, or read before anything touched it).
 * Every request that may change state is an entry with each attempt's answer; "none" means
 * no answer arrived (connection died, timed out), so either outcome must be accepted.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export type ItemLine = [itemId: string, quantity: number];

/** An HTTP status, or "none" when no answer came. */
export type Answer = number | 'none';

export interface Attempt {
  status: Answer;
  /** Milliseconds since the ledger's start: when the attempt was sent and answered (or gave up). */
  start: number;
  end: number;
  /** The `error` of a non-200 JSON body, or the transport error when there was no answer. */
  error?: string;
  /** Seconds of a Retry-After header: a 503 with it is a bounded wait, not a bug. */
  retryAfter?: number;
}

export type Op =
  | { op: 'checkout'; order: string }
  | { op: 'add_item'; order: string; item: string; qty: number; key?: string }
  | { op: 'add_funds' | 'pay'; user: string; amount: number; key?: string }
  | { op: 'stock_add' | 'stock_subtract'; item: string; amount: number; key?: string }
  /** A read, or a setup call whose effect is recorded as initial state (create, batch_init). */
  | { op: 'read' | 'setup'; method: string; path: string }
  /** A request built to be refused: it must answer 4xx and change nothing. `kind` says how it is bad. */
  | { op: 'fuzz'; method: string; path: string; kind: string };

export type Entry = Op & { tries: Attempt[] };

export interface ItemState {
  stock: number;
  price: number;
}

export interface OrderState {
  user: string;
  items: ItemLine[];
  total: number;
  paid: boolean;
}

export interface Batches {
  items?: { n: number; stock: number; price: number };
  users?: { n: number; credit: number };
  /** Orders "0".."n-1" with random lines and users: only those in `orders` have a known start. */
  orders?: { n: number };
}

export interface Ledger {
  version: 1;
  target: string;
  startedAt: string;
  batches: Batches;
  items: Record<string, ItemState>;
  users: Record<string, number>;
  orders: Record<string, OrderState>;
  requests: Entry[];
  /** Faults injected during the run, for the report (milliseconds since the start). */
  faults: { name: string; at: number; until: number }[];
}

export function newLedger(target: string): Ledger {
  return {
    version: 1,
    target,
    startedAt: new Date().toISOString(),
    batches: {},
    items: {},
    users: {},
    orders: {},
    requests: [],
    faults: [],
  };
}

export function saveLedger(file: string, ledger: Ledger): void {
  writeFileSync(file, JSON.stringify(ledger));
}

export function loadLedger(file: string): Ledger {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Ledger>;
  if (parsed.version !== 1 || !Array.isArray(parsed.requests)) {
    throw new Error(`${file} is not a version 1 ledger`);
  }
  return { ...newLedger(parsed.target ?? ''), ...parsed };
}

/** The attempt whose answer tells the outcome: the last one (earlier ones were retried). */
export function finalAnswer(entry: Entry): Answer {
  return entry.tries[entry.tries.length - 1]?.status ?? 'none';
}

/** An answer that does not tell whether the request took effect. */
export function isAmbiguous(status: Answer): boolean {
  return status === 'none' || status >= 500;
}

/** The METHOD and path an entry was sent as. */
export function requestOf(op: Op): { method: string; path: string; headers: Record<string, string> } {
  const key = (k: string | undefined): Record<string, string> =>
    k === undefined ? {} : { 'idempotency-key': k };
  switch (op.op) {
    case 'checkout':
      return { method: 'POST', path: `/orders/checkout/${op.order}`, headers: {} };
    case 'add_item':
      return {
        method: 'POST',
        path: `/orders/addItem/${op.order}/${op.item}/${op.qty}`,
        headers: key(op.key),
      };
    case 'add_funds':
      return { method: 'POST', path: `/payment/add_funds/${op.user}/${op.amount}`, headers: key(op.key) };
    case 'pay':
      return { method: 'POST', path: `/payment/pay/${op.user}/${op.amount}`, headers: key(op.key) };
    case 'stock_add':
      return { method: 'POST', path: `/stock/add/${op.item}/${op.amount}`, headers: key(op.key) };
    case 'stock_subtract':
      return { method: 'POST', path: `/stock/subtract/${op.item}/${op.amount}`, headers: key(op.key) };
    case 'read':
    case 'setup':
    case 'fuzz':
      return { method: op.method, path: op.path, headers: {} };
  }
}
