/**
 * Sends requests and writes each one, with every attempt's answer, into a ledger. Requests
 * that are safe to repeat (checkout, writes carrying an Idempotency-Key, reads) are retried
 * after no answer or a 5xx, like a careful client; the first failed attempt still counts
 * for the chaos report, and the last answer tells the checker the outcome.
 */
import { retry } from '../src/lib/retry.js';
import { createClient, type Client } from './client.js';
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

/**
 * Retries of a request that got no answer or a 5xx: 7 jittered pauses of 0.25 s doubling to
 * 4 s, together 8-16 s, longer than a Redis failover or a broker restart.
 */
const RETRIES = 7;
const RETRY_BACKOFF = { baseMs: 250, maxMs: 4000 };

/** Retrying is safe for these: a repeat joins, is recognised, or reads. */
function defaultRetries(op: Op): number {
  switch (op.op) {
    case 'checkout':
    case 'read':
      return RETRIES;
    case 'add_funds':
    case 'pay':
    case 'stock_add':
    case 'stock_subtract':
    case 'add_item':
      return op.key === undefined ? 0 : RETRIES;
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
    const once = async (): Promise<{ status: Answer; body: unknown }> => {
      const start = now();
      let answer: { status: Answer; body: unknown };
      let error: string | undefined;
      let retryAfter: number | undefined;
      try {
        const response = await client.request(method, path, { ...headers, ...opts.headers }, opts.body);
        answer = response;
        if (answer.status !== 200) error = errorOf(answer.body);
        const header = Number(response.headers['retry-after']);
        if (response.headers['retry-after'] !== undefined && Number.isFinite(header)) retryAfter = header;
      } catch (caught) {
        answer = { status: 'none', body: undefined };
        error = caught instanceof Error ? caught.message.slice(0, 120) : String(caught);
      }
      entry.tries.push({
        status: answer.status,
        start,
        end: now(),
        ...(error === undefined ? {} : { error }),
        ...(retryAfter === undefined ? {} : { retryAfter }),
      });
      return answer;
    };
    const { status, body } = await retry(once, {
      ...RETRY_BACKOFF,
      attempts: retries + 1,
      again: (answer) => answer.status === 'none' || answer.status >= 500,
    });
    return { entry, status, body };
  }

  return { ledger, now, send, close: () => client.close() };
}
