/**
 * Reads the state of many items, users and orders through the public API. A read that gets
 * no answer or a 5xx is retried (the checker runs after faults, maybe while a component is
 * still coming back); 404 is an answer: the entity is missing.
 */
import type { Client, Response } from './client.js';
import type { ItemLine, ItemState, OrderState } from './ledger.js';
import { retry } from '../src/lib/retry.js';
import { inParallel } from './pool.js';

export interface Snapshot {
  items: Map<string, ItemState | undefined>;
  users: Map<string, number | undefined>;
  orders: Map<string, OrderState | undefined>;
}

export const emptySnapshot = (): Snapshot => ({ items: new Map(), users: new Map(), orders: new Map() });

/** A read that keeps failing is tried this often, with pauses of 0.1 s doubling to 2 s. */
const READ_ATTEMPTS = 20;

async function read(client: Client, path: string): Promise<Response> {
  const response = await retry(() => client.get(path), {
    baseMs: 100,
    maxMs: 2000,
    attempts: READ_ATTEMPTS,
    again: (answer) => answer.status >= 500,
  }).catch((error: unknown) => {
    throw new Error(`GET ${path} failed ${READ_ATTEMPTS} times, last: ${String(error)}`);
  });
  if (response.status >= 500) {
    throw new Error(
      `GET ${path} failed ${READ_ATTEMPTS} times, last: ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
  return response;
}

function object(response: Response, path: string): Record<string, unknown> | undefined {
  if (response.status === 404) return undefined;
  const body = response.body;
  if (response.status !== 200 || typeof body !== 'object' || body === null) {
    throw new Error(`GET ${path} answered ${response.status} ${JSON.stringify(body)}`);
  }
  return body as Record<string, unknown>;
}

function integer(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error(`${what} is not an integer`);
  return value;
}

function lines(value: unknown, what: string): ItemLine[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value.map((line: unknown) => {
    if (!Array.isArray(line) || typeof line[0] !== 'string') throw new Error(`${what} has a bad line`);
    return [line[0], integer(line[1], what)] as ItemLine;
  });
}

export async function readItem(client: Client, id: string): Promise<ItemState | undefined> {
  const path = `/stock/find/${id}`;
  const body = object(await read(client, path), path);
  return (
    body && { stock: integer(body['stock'], `${path} stock`), price: integer(body['price'], `${path} price`) }
  );
}

export async function readUser(client: Client, id: string): Promise<number | undefined> {
  const path = `/payment/find_user/${id}`;
  const body = object(await read(client, path), path);
  return body && integer(body['credit'], `${path} credit`);
}

export async function readOrder(client: Client, id: string): Promise<OrderState | undefined> {
  const path = `/orders/find/${id}`;
  const body = object(await read(client, path), path);
  if (body === undefined) return undefined;
  if (typeof body['user_id'] !== 'string' || typeof body['paid'] !== 'boolean') {
    throw new Error(`${path} answered ${JSON.stringify(body)}`);
  }
  return {
    user: body['user_id'],
    items: lines(body['items'], `${path} items`),
    total: integer(body['total_cost'], `${path} total_cost`),
    paid: body['paid'],
  };
}

/** Reads every id given, `width` requests in flight. */
export async function readAll(
  client: Client,
  ids: { items: Iterable<string>; users: Iterable<string>; orders: Iterable<string> },
  width = 64,
): Promise<Snapshot> {
  const snapshot = emptySnapshot();
  const fill = async <T>(
    list: Iterable<string>,
    into: Map<string, T | undefined>,
    reader: (c: Client, id: string) => Promise<T | undefined>,
  ): Promise<void> => {
    const all = [...new Set(list)].filter((id) => !into.has(id));
    const values = await inParallel(all.length, width, (i) => reader(client, all[i] ?? ''));
    all.forEach((id, i) => into.set(id, values[i]));
  };
  await fill(ids.orders, snapshot.orders, readOrder);
  // The users and items the orders name are read too: a paid order charges them.
  const items = new Set(ids.items);
  const users = new Set(ids.users);
  for (const order of snapshot.orders.values()) {
    if (order === undefined) continue;
    users.add(order.user);
    for (const [item] of order.items) items.add(item);
  }
  await fill(items, snapshot.items, readItem);
  await fill(users, snapshot.users, readUser);
  return snapshot;
}
