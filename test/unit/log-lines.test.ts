/**
 * Log lines about a request carry the gateway's request id (X-Request-Id, nginx $request_id),
 * and errors are logged as error objects with their stack (pino's err serializer).
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildHttp } from '../../src/lib/http.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, log: pino({ level: 'info' }, stream) };
}

describe('request log lines', () => {
  it("carry the gateway's request id, and a failure's error object with its stack", async () => {
    const { lines, log } = capture();
    const app = await buildHttp(log);
    app.get('/boom', (request) => {
      request.log.info('about to fail');
      throw new Error('boom');
    });
    const response = await app.inject({ url: '/boom', headers: { 'x-request-id': 'gw-0123abcd' } });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: 'internal error' });
    const mine = lines.filter((line) => line['request_id'] === 'gw-0123abcd');
    expect(mine.map((line) => line['msg'])).toEqual(['about to fail', 'request failed']);
    const err = mine[1]?.['err'] as { type: string; message: string; stack: string };
    expect(err).toMatchObject({ type: 'Error', message: 'boom' });
    expect(err.stack).toMatch(/^Error: boom\n\s+at /);
    await app.close();
  });

  it('name a request without the header by an id of their own', async () => {
    const { lines, log } = capture();
    const app = await buildHttp(log);
    app.get('/hello', (request) => {
      request.log.info('hello');
      return { ok: true };
    });
    await app.inject({ url: '/hello' });
    expect(lines.find((line) => line['msg'] === 'hello')?.['request_id']).toEqual(expect.any(String));
    await app.close();
  });
});
