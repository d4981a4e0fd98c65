/**
 * Sends requests and writes each one, with every attempt's answer, into a ledger. Requests
 * that are safe to repeat (checkout, writes carrying an Idempotency-Key, reads) are retried
 * after no answer or a 5xx, like a careful client; the first failed attempt still counts
 * for the chaos report, and the last answer tells the checker the outcome.
 */
import { createClient, type Client } from '../test/support/client.js';
import { requestOf, type Answer, type Entry, type Ledger, type Op } from './ledger.js';

export interface Sent {
  entry: Entry;
  status: Answer;
  body: unknown;
}

export interface SendOptions {
  /** Attempts after the first one when there was no answer or a 5xx (default: by operation). */
  retries?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Leave out of the ledger (reads whose only purpose is the answer, e.g. observing state). */
  unrecorded?: boolean;
}

export interface Recorder {
  ledger: Ledger;
  /** Milliseconds since the ledger's start. */
  now(): number;
  send(op: Op, options?: SendOptions): Promise<Sent>;
  close(): void;
}

/** Pauses before each retry: together about 15 s, longer than a Redis failover or broker restart. */
const RETRY_PAUSES_MS = [250, 500, 1000, 2000, 3000, 4000, 4000];

/** Retrying is safe for these: a repeat joins, is recognised, or reads. */
function defaultRetries(op: Op): number {
  switch (op.op) {
    case 'checkout':
    case 'read':
      return RETRY_PAUSES_MS.length;
    case 'add_funds':
    case 'pay':
    case 'stock_add':
    case 'stock_subtract':
    case 'add_item':
      return op.key === undefined ? 0 : RETRY_PAUSES_MS.length;
    case 'setup':
    case 'fuzz':
      return 0;
  }
}

function errorOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = body.error;
    return typeof error === 'string' ? error.slice(0, 120) : undefined;
  }
  if (typeof body !== 'string' || body === '') return undefined;
  // nginx's own error pages are HTML: their title says it all.
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  return (title ?? body).replace(/\s+/g, ' ').trim().slice(0, 120);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createRecorder(
  ledger: Ledger,
  options: { connections?: number; timeoutMs?: number; client?: Client } = {},
): Recorder {
  const client =
    options.client ?? createClient(ledger.target, options.connections ?? 64, options.timeoutMs ?? 30_000);
  const started = Date.parse(ledger.startedAt);
  const now = (): number => Date.now() - started;

  async function send(op: Op, opts: SendOptions = {}): Promise<Sent> {
    const { method, path, headers } = requestOf(op);
    const entry: Entry = { ...op, tries: [] };
    if (!opts.unrecorded) ledger.requests.push(entry);
    const retries = opts.retries ?? defaultRetries(op);
    let body: unknown;
    let status: Answer = 'none';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0)
        await pause(RETRY_PAUSES_MS[Math.min(attempt - 1, RETRY_PAUSES_MS.length - 1)] ?? 1000);
      const start = now();
      let error: string | undefined;
      try {
        const response = await client.request(method, path, { ...headers, ...opts.headers }, opts.body);
        status = response.status;
        body = response.body;
        if (status !== 200) error = errorOf(body);
      } catch (caught) {
        status = 'none';
        body = undefined;
        error = caught instanceof Error ? caught.message.slice(0, 120) : String(caught);
      }
      entry.tries.push({ status, start, end: now(), ...(error === undefined ? {} : { error }) });
      if (status !== 'none' && status < 500) break;
    }
    return { entry, status, body };
  }

  return { ledger, now, send, close: () => client.close() };
}
