/**
 * Reading saga records from the Redis order store: the hash as a Saga, and the operator's
 * reads (an order's sagas, sagas by state and age). Reads only: they take no part in a
 * checkout and add nothing to its writes.
 *
 * Listing: unfinished sagas (RUNNING, ABORTING) come from the lease index, which holds exactly
 * them, sorted by saga id, the cursor `l:<last id>`. Finished ones have no index (one would
 * cost every checkout a write), so they are found with SCAN, at most SCAN_BUDGET keys per
 * page, the cursor `s:<scan cursor>:<last id>`: the page ends inside one SCAN batch, which the
 * next call reads again, skipping the ids up to the last one it returned.
 */
import { decodeItems } from '../../lib/items.js';
import { isReason } from '../../lib/outcome.js';
import type { Redis } from '../../lib/redis.js';
import type { OrderKeys } from './keys.js';
import type { Saga, SagaPage, SagaQuery, SagaRecord, SagaState } from './store.js';

const STATES: ReadonlySet<string> = new Set<SagaState>(['RUNNING', 'ABORTING', 'COMMITTED', 'ABORTED']);
/** Keys one listing call examines at most, so a page costs the server little. */
const SCAN_BUDGET = 20_000;
const SCAN_COUNT = 1000;

/** `[field, value, ...]` as HGETALL in Lua returns it, to a field map. */
export function fieldsOf(flat: readonly unknown[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
  return fields;
}

export function sagaOf(sagaId: string, fields: ReadonlyMap<string, string>): Saga {
  const state = fields.get('state');
  if (state === undefined || !STATES.has(state)) throw new Error(`saga ${sagaId} has no valid state`);
  const reason = fields.get('reason');
  return {
    sagaId,
    orderId: fields.get('order') ?? '',
    userId: fields.get('user') ?? '',
    items: decodeItems(fields.get('items') ?? ''),
    amount: Number(fields.get('amount') ?? 0),
    state: state as SagaState,
    epoch: Number(fields.get('epoch')),
    owner: fields.get('owner') ?? '',
    leaseUntil: Number(fields.get('lease')),
    deadline: Number(fields.get('deadline')),
    reason: isReason(reason) ? reason : undefined,
    // A saga written before order keys existed: its order id was the key.
    orderKey: fields.get('okey') ?? fields.get('order') ?? '',
  };
}

function recordOf(sagaId: string, fields: Record<string, string>): SagaRecord | undefined {
  if (fields['state'] === undefined) return undefined; // expired (or never existed)
  const map = new Map(Object.entries(fields));
  const started = fields['started'];
  return {
    ...sagaOf(sagaId, map),
    startedAt: started === undefined ? undefined : Number(started),
    journal: fields['journal'] ?? '',
  };
}

async function readRecords(redis: Redis, keys: OrderKeys, ids: readonly string[]): Promise<SagaRecord[]> {
  const all = await Promise.all(ids.map((id) => redis.hgetall(keys.saga(id))));
  const records: SagaRecord[] = [];
  all.forEach((fields, i) => {
    const record = recordOf(ids[i] ?? '', fields);
    if (record) records.push(record);
  });
  return records;
}

export async function redisSagasOfOrder(
  redis: Redis,
  keys: OrderKeys,
  orderId: string,
): Promise<SagaRecord[] | undefined> {
  const [user, links] = await redis.hmget(keys.order(orderId), 'user', 'sagas');
  if (user == null) return undefined;
  const ids = (links ?? '').split(' ').filter((id) => id !== '');
  return (await readRecords(redis, keys, ids.reverse())).filter((saga) => saga.orderId === orderId);
}

const matches = (query: SagaQuery) => (saga: SagaRecord) =>
  (query.state === undefined || saga.state === query.state) &&
  (query.startedBefore === undefined || (saga.startedAt ?? 0) < query.startedBefore);

async function listUnfinished(
  redis: Redis,
  keys: OrderKeys,
  query: SagaQuery,
  after: string,
): Promise<SagaPage> {
  const ids = (await redis.zrange(keys.leases(), '0', '-1')).filter((id) => id > after).sort();
  const found: SagaRecord[] = [];
  for (let start = 0; start < ids.length; start += SCAN_COUNT) {
    const chunk = ids.slice(start, start + SCAN_COUNT);
    for (const saga of (await readRecords(redis, keys, chunk)).filter(matches(query))) {
      found.push(saga);
      if (found.length === query.limit) {
        const more = saga.sagaId < (ids[ids.length - 1] ?? '');
        return { sagas: found, cursor: more ? `l:${saga.sagaId}` : undefined };
      }
    }
  }
  return { sagas: found, cursor: undefined };
}

/** SCAN's MATCH pattern for every saga hash: the prefix's glob characters escaped. */
function sagaPattern(keys: OrderKeys): string {
  return `${keys.saga('').replace(/[*?[\]\\]/g, '\\$&')}*`;
}

async function listScanned(
  redis: Redis,
  keys: OrderKeys,
  query: SagaQuery,
  from: string,
  after: string,
): Promise<SagaPage> {
  const pattern = sagaPattern(keys);
  const prefixLength = keys.saga('').length;
  const found: SagaRecord[] = [];
  let position = from;
  let skipUpTo = after;
  for (let examined = 0; examined < SCAN_BUDGET;) {
    const [next, batch] = await redis.scan(position, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
    examined += Math.max(batch.length, 1);
    const ids = batch
      .map((key) => key.slice(prefixLength))
      .filter((id) => id > skipUpTo)
      .sort();
    for (const saga of (await readRecords(redis, keys, ids)).filter(matches(query))) {
      found.push(saga);
      // The page ends inside this batch: the next call reads it again from the same position.
      if (found.length === query.limit) return { sagas: found, cursor: `s:${position}:${saga.sagaId}` };
    }
    if (next === '0') return { sagas: found, cursor: undefined };
    position = next;
    skipUpTo = '';
  }
  return { sagas: found, cursor: `s:${position}:` };
}

export async function listRedisSagas(
  redis: Redis,
  keys: OrderKeys,
  query: SagaQuery,
): Promise<SagaPage | undefined> {
  const unfinished = query.state === 'RUNNING' || query.state === 'ABORTING';
  const cursor = query.cursor;
  if (cursor === undefined) {
    return unfinished ? listUnfinished(redis, keys, query, '') : listScanned(redis, keys, query, '0', '');
  }
  if (unfinished && cursor.startsWith('l:')) return listUnfinished(redis, keys, query, cursor.slice(2));
  const scan = /^s:(\d{1,20}):(.*)$/.exec(cursor);
  if (!unfinished && scan) return listScanned(redis, keys, query, scan[1] ?? '0', scan[2] ?? '');
  return undefined;
}
