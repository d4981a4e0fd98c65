/**
 * Random bad requests: bad paths, ids, amounts, methods, headers and bodies, plus well-formed
 * requests that must be refused (more than the credit or stock, overflow, an order that cannot
 * be paid). Each is recorded as a `fuzz` entry; the checker then requires a 4xx for every one
 * and no change to the state the fuzzer set up.
 *
 * A generated request that could be valid (it matches a route after the normalisation nginx
 * or Fastify might apply) is thrown away: the fuzzer never sends a request that may succeed.
 */
import { randomUUID } from 'node:crypto';
import { seeded } from './pool.js';
import type { Recorder, Sent } from './recorder.js';

const ID = '[A-Za-z0-9_-]{1,64}';
const AMT = '[1-9][0-9]{0,15}';
const COUNT = `(?:0|${AMT})`;
const ROUTES: [string, RegExp][] = [
  ['POST', new RegExp(`^/orders/create/${ID}$`)],
  ['GET', new RegExp(`^/orders/find/${ID}$`)],
  ['POST', new RegExp(`^/orders/addItem/${ID}/${ID}/${AMT}$`)],
  ['POST', new RegExp(`^/orders/checkout/${ID}$`)],
  ['POST', new RegExp(`^/orders/batch_init/${AMT}/${AMT}/${AMT}/${AMT}$`)],
  ['GET', new RegExp(`^/stock/find/${ID}$`)],
  ['POST', new RegExp(`^/stock/(?:add|subtract)/${ID}/${AMT}$`)],
  ['POST', new RegExp(`^/stock/item/create/${AMT}$`)],
  ['POST', new RegExp(`^/stock/batch_init/${AMT}/${COUNT}/${AMT}$`)],
  ['POST', new RegExp(`^/payment/(?:pay|add_funds)/${ID}/${AMT}$`)],
  ['POST', new RegExp(`^/payment/batch_init/${AMT}/${COUNT}$`)],
  ['POST', /^\/payment\/create_user$/],
  ['GET', new RegExp(`^/payment/find_user/${ID}$`)],
  // Operational endpoints, present or planned: never fuzzed.
  ['*', /^\/(?:health|ready|metrics|docs|documentation|openapi)(?:[/.?].*)?$/i],
];

/** What nginx or Fastify might turn a path into: decoded, slashes merged, dot segments gone. */
function normalisations(path: string): string[] {
  const bare = path.split('?')[0] ?? '';
  let decoded = bare;
  try {
    decoded = decodeURIComponent(bare);
  } catch {
    // Not decodable: Fastify refuses it, nginx passes it on as is.
  }
  return [bare, decoded].flatMap((p) => {
    const merged = p.replace(/\/+/g, '/');
    const segments: string[] = [];
    for (const s of merged.split('/')) {
      if (s === '..') segments.pop();
      else if (s !== '.') segments.push(s);
    }
    const dotless = segments.join('/') || '/';
    return [p, merged, dotless, dotless.replace(/\/$/, ''), dotless.toLowerCase()];
  });
}

export function mayBeValid(method: string, path: string): boolean {
  const methods = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
  return normalisations(path).some((p) =>
    ROUTES.some(([m, pattern]) => (m === '*' || methods.includes(m)) && pattern.test(p)),
  );
}

const BAD_AMOUNTS = [
  '0', '-1', '-0', '00', '01', '1.0', '1.5', '1e3', '0x10', '+1', '%201', '1%20', '%2B1', '1_000',
  '9007199254740992', '99999999999999999', '1'.repeat(17), '1'.repeat(40), 'NaN', 'Infinity', 'null',
  'true', '%5B1%5D', '%D9%A1', '%EF%BC%91', '1;2', '1,5', '--1', '0b1', '1n', '%00', '%25', 'abc',
]; // prettier-ignore
const BAD_IDS = [
  'x'.repeat(65), 'x'.repeat(300), 'a.b', 'a~b', 'a!b', '$id', 'a%20b', '%00', '%2F', 'a%2Fb', '..', '.',
  '%2E%2E', 'a@b', 'a:b', 'a,b', '%C3%A9', '%E2%80%AE', 'a%27b', '%3Cscript%3E', '*', 'a+b', '%0Aa',
]; // prettier-ignore
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const TYPES = [
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
];
const GARBAGE = "abcXYZ019_-.~!$&'()*+,;=:@%";

export interface FuzzTargets {
  user: string;
  item: string;
  /** Paid during set-up: adding to it is refused. */
  paidOrder: string;
  /** Costs more than the user's credit and needs more than the stock. */
  poorOrder: string;
  /** Belongs to a user that does not exist. */
  ghostOrder: string;
  credit: number;
  /** A checkout of the ghost order holds one unit until it is compensated: the stock is this or one less. */
  stock: number;
}

function ok(sent: Sent, what: string): unknown {
  if (sent.status !== 200) throw new Error(`fuzz set-up: ${what} answered ${sent.status}`);
  return sent.body;
}

function idIn(body: unknown, field: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[field];
  if (typeof value !== 'string') throw new Error(`fuzz set-up: no ${field} in ${JSON.stringify(body)}`);
  return value;
}

/** A user, an item and three orders the bad requests aim at, all recorded in the ledger. */
export async function prepareTargets(rec: Recorder): Promise<FuzzTargets> {
  const setup = async (path: string): Promise<unknown> =>
    ok(await rec.send({ op: 'setup', method: 'POST', path }), path);
  const user = idIn(await setup('/payment/create_user'), 'user_id');
  rec.ledger.users[user] = 0;
  ok(await rec.send({ op: 'add_funds', user, amount: 100, key: randomUUID() }), 'add_funds');
  const item = idIn(await setup('/stock/item/create/10'), 'item_id');
  rec.ledger.items[item] = { stock: 0, price: 10 };
  ok(await rec.send({ op: 'stock_add', item, amount: 5, key: randomUUID() }), 'stock add');
  const order = async (owner: string, qty: number): Promise<string> => {
    const id = idIn(await setup(`/orders/create/${owner}`), 'order_id');
    rec.ledger.orders[id] = { user: owner, items: [], total: 0, paid: false };
    ok(await rec.send({ op: 'add_item', order: id, item, qty }), 'addItem');
    return id;
  };
  const paidOrder = await order(user, 1);
  ok(await rec.send({ op: 'checkout', order: paidOrder }), 'checkout');
  const poorOrder = await order(user, 20);
  const ghostOrder = await order(`ghost-${randomUUID()}`, 1);
  return { user, item, paidOrder, poorOrder, ghostOrder, credit: 90, stock: 4 };
}

interface BadRequest {
  kind: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Builds the generator of bad requests for the given targets, deterministic per seed. */
export function badRequests(t: FuzzTargets, seed: number): () => BadRequest {
  const random = seeded(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T; // list is never empty
  const int = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  const garbage = (n: number): string =>
    Array.from({ length: n }, () => pick([...GARBAGE]))
      .join('')
      .replace(/%(?![0-9A-F]{2})/g, '%25');
  const unknownId = (): string => `nx-${Math.floor(random() * 1e12).toString(36)}`;
  const badAmount = (): string => (random() < 0.8 ? pick(BAD_AMOUNTS) : garbage(int(1, 12)));
  const badId = (): string => {
    const id = random() < 0.8 ? pick(BAD_IDS) : garbage(int(1, 20));
    // Garbage can spell a well-formed id, maybe an existing one ("0"): use an unknown one then.
    return new RegExp(`^${ID}$`).test(id) ? unknownId() : id;
  };

  const amountCase = (): BadRequest => {
    const a = badAmount();
    const paths = [
      `/payment/add_funds/${t.user}/${a}`, `/payment/pay/${t.user}/${a}`, `/stock/add/${t.item}/${a}`,
      `/stock/subtract/${t.item}/${a}`, `/orders/addItem/${t.poorOrder}/${t.item}/${a}`, `/stock/item/create/${a}`,
      `/stock/batch_init/${a}/1/1`, `/stock/batch_init/1/${a === '0' ? '-1' : a}/1`, `/payment/batch_init/${a}/1`,
      `/orders/batch_init/${a}/1/1/1`, `/orders/batch_init/1/1/1/${a}`,
    ]; // prettier-ignore
    return { kind: 'amount', method: 'POST', path: pick(paths) };
  };
  const idCase = (): BadRequest => {
    const id = random() < 0.5 ? unknownId() : badId();
    const cases: [string, string][] = [
      ['GET', `/orders/find/${id}`], ['GET', `/stock/find/${id}`], ['GET', `/payment/find_user/${id}`],
      ['POST', `/orders/checkout/${id}`], ['POST', `/orders/addItem/${id}/${t.item}/1`],
      ['POST', `/orders/addItem/${t.poorOrder}/${id}/1`], ['POST', `/stock/add/${id}/1`],
      ['POST', `/stock/subtract/${id}/1`], ['POST', `/payment/pay/${id}/1`], ['POST', `/payment/add_funds/${id}/1`],
      ['POST', `/orders/create/${badId()}`],
    ]; // prettier-ignore
    const [method, path] = pick(cases);
    return { kind: 'id', method, path };
  };
  const refusedCase = (): BadRequest => {
    const huge = 9007199254740991;
    const cases: string[] = [
      `/payment/pay/${t.user}/${int(t.credit + 1, 1e9)}`, `/stock/subtract/${t.item}/${int(t.stock + 1, 1e9)}`,
      `/payment/add_funds/${t.user}/${huge - int(0, t.credit - 1)}`, `/stock/add/${t.item}/${huge - int(0, t.stock - 2)}`,
      `/orders/addItem/${t.poorOrder}/${t.item}/${int(Math.ceil(huge / 10), huge)}`,
      `/orders/addItem/${t.paidOrder}/${t.item}/${int(1, 5)}`, `/orders/checkout/${t.poorOrder}`,
      `/orders/checkout/${t.ghostOrder}`, `/orders/batch_init/${int(1_000_001, 1e9)}/1/1/1`,
    ]; // prettier-ignore
    return { kind: 'refused', method: 'POST', path: pick(cases) };
  };
  const pathCase = (): BadRequest => {
    const vocabulary = ['orders', 'stock', 'payment', 'find', 'checkout', 'addItem', 'add', 'pay', 'item', 'create',
      'batch_init', 'find_user', 'add_funds', 'create_user', 'subtract', t.user, t.item, t.poorOrder, '1', '', '..']; // prettier-ignore
    const segments = Array.from({ length: int(0, 6) }, () =>
      random() < 0.7 ? pick(vocabulary) : garbage(int(1, 8)),
    );
    const tail = random() < 0.2 ? `?${garbage(int(1, 10))}` : random() < 0.1 ? '/' : '';
    return { kind: 'path', method: pick(METHODS), path: `/${segments.join('/')}${tail}` };
  };
  const methodCase = (): BadRequest => {
    const valid: [string, string][] = [
      ['POST', `/payment/add_funds/${t.user}/1`], ['POST', `/payment/pay/${t.user}/1`], ['POST', `/stock/add/${t.item}/1`],
      ['POST', `/stock/subtract/${t.item}/1`], ['POST', `/orders/checkout/${t.poorOrder}`], ['POST', '/payment/create_user'],
      ['POST', `/orders/create/${t.user}`], ['POST', '/stock/item/create/1'], ['GET', `/stock/find/${t.item}`],
      ['GET', `/orders/find/${t.poorOrder}`], ['GET', `/payment/find_user/${t.user}`],
    ]; // prettier-ignore
    const [right, path] = pick(valid);
    const wrong = METHODS.filter((m) => m !== right && !(right === 'GET' && m === 'HEAD'));
    return { kind: 'method', method: pick(wrong), path };
  };
  const headerCase = (): BadRequest => {
    // No empty key: nginx cannot tell an empty header from none, and gives either its own key.
    const key = pick(['has space', 'x'.repeat(129), 'a/b', 'é', '"quoted"', 'a\tb']);
    const path = pick([`/payment/add_funds/${t.user}/1`, `/payment/pay/${t.user}/1`, `/stock/add/${t.item}/1`, `/stock/subtract/${t.item}/1`, `/orders/addItem/${t.poorOrder}/${t.item}/1`]); // prettier-ignore
    return { kind: 'header', method: 'POST', path, headers: { 'idempotency-key': encodeURI(key) } };
  };
  const generators = [
    amountCase,
    amountCase,
    idCase,
    idCase,
    refusedCase,
    pathCase,
    pathCase,
    methodCase,
    headerCase,
  ];

  return () => {
    for (;;) {
      const request = pick(generators)();
      // Unknown ids in well-formed paths are the point of `id` cases (404), except for create.
      const unknownIdCase = request.kind === 'id' && !request.path.startsWith('/orders/create/');
      const meantWellFormed = request.kind === 'refused' || request.kind === 'header' || unknownIdCase;
      if (!meantWellFormed && mayBeValid(request.method, request.path)) continue;
      if (
        request.kind === 'header' &&
        /^[A-Za-z0-9_.:-]{1,128}$/.test(request.headers?.['idempotency-key'] ?? '')
      )
        continue;
      // A body never makes a bad request good: the API ignores bodies. Some carry one.
      if (random() < 0.3) {
        const body = random() < 0.5 ? `{"amount": ${garbage(int(0, 20))}` : garbage(int(0, 200));
        // Framed by Content-Length: Node sends a GET/DELETE/OPTIONS body unframed otherwise,
        // and the server rightly reads it as the next request on the connection.
        const framing = { 'content-type': pick(TYPES), 'content-length': String(Buffer.byteLength(body)) };
        return { ...request, headers: { ...request.headers, ...framing }, body };
      }
      return request;
    }
  };
}

/** Sends `count` bad requests, `width` at a time; answers how many of each kind went out. */
export async function fuzz(
  rec: Recorder,
  targets: FuzzTargets,
  count: number,
  width = 32,
  seed = 7,
): Promise<Record<string, number>> {
  const next = badRequests(targets, seed);
  const kinds: Record<string, number> = {};
  let sent = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (sent < count) {
        sent++;
        const r = next();
        kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
        await rec.send(
          { op: 'fuzz', method: r.method, path: r.path, kind: r.kind },
          { ...(r.headers ? { headers: r.headers } : {}), ...(r.body === undefined ? {} : { body: r.body }) },
        );
      }
    }),
  );
  return kinds;
}
