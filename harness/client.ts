/**
 * A small HTTP client over keep-alive connections (node:http), bounded to `connections`
 * sockets like a load generator, for the contract, consistency and chaos suites. Given a
 * Fastify app instead of a URL it sends the same requests in-process (`inject`), so the unit
 * tier runs the suites with no network.
 */
import http from 'node:http';
import type { App } from '../src/lib/http.js';

export interface Response {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export interface Client {
  request(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<Response>;
  get(path: string): Promise<Response>;
  post(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): void;
}

/** Where requests go: a base URL over real HTTP, or an app in this process. */
export type Target = string | App;

/** A body as JSON when it is JSON; otherwise the text, on which a contract test then fails. */
function parseBody(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

function injectClient(app: App): Client {
  const request = async (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<Response> => {
    const options = { method: method as 'GET', url: path, headers };
    const res = await app.inject(body === undefined ? options : { ...options, payload: body });
    const received: http.IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) received[name] = typeof value === 'number' ? String(value) : value;
    }
    return { status: res.statusCode, body: parseBody(res.body), headers: received };
  };
  return {
    request,
    get: (path) => request('GET', path),
    post: (path, headers) => request('POST', path, headers),
    close: () => undefined,
  };
}

/** `timeoutMs`: a request with no answer by then fails (a hang, for the chaos suite and fuzzer). */
export function createClient(target: Target, connections = 128, timeoutMs = 60_000): Client {
  if (typeof target !== 'string') return injectClient(target);
  const url = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  function request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, method, path, agent, headers, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = parseBody(Buffer.concat(chunks).toString('utf8'));
            resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }
  return {
    request,
    get: (path) => request('GET', path),
    post: (path, headers) => request('POST', path, headers),
    close: () => agent.destroy(),
  };
}

/** Reads a field of a JSON object body, failing loudly if the shape is wrong. */
export function field<T>(response: Response, name: string): T {
  const body = response.body;
  if (typeof body !== 'object' || body === null || !(name in body)) {
    throw new Error(`expected field ${name} in ${response.status} ${JSON.stringify(body)}`);
  }
  return (body as Record<string, T>)[name] as T;
}
