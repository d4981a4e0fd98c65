/**
 * A small HTTP client over keep-alive connections (node:http), bounded to `connections`
 * sockets like a load generator, for the contract, consistency and chaos suites.
 */
import http from 'node:http';

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

/** `timeoutMs`: a request with no answer by then fails (a hang, for the chaos suite and fuzzer). */
export function createClient(baseUrl: string, connections = 128, timeoutMs = 60_000): Client {
  const url = new URL(baseUrl);
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
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = text === '' ? undefined : JSON.parse(text);
            } catch {
              // Not JSON: the caller sees the text, and a contract test fails on it.
            }
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
