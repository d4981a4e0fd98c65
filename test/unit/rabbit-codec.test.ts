/** The AMQP wire format's optional traceparent: carried per command, and validated strictly. */
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch } from '../../src/bus/rabbit-codec.js';

const RESERVE = { type: 'reserve', sagaId: 's1', orderId: 'o1', items: [['a', 1]] };
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('rabbit codec traceparent', () => {
  it('carries each envelope its own traceparent, or none, through a batch', () => {
    const batch = [
      { command: RESERVE, expiresAt: 10, traceparent: TRACEPARENT },
      { command: { ...RESERVE, sagaId: 's2' }, expiresAt: 10 },
    ];
    expect(decodeBatch('stock', encodeBatch(batch))).toEqual(batch);
  });

  it('treats a malformed traceparent as a poison message', () => {
    for (const traceparent of ['', 'x', 42, `${TRACEPARENT}-extra`, TRACEPARENT.toUpperCase()]) {
      const content = Buffer.from(JSON.stringify([{ command: RESERVE, expiresAt: 10, traceparent }]));
      expect(decodeBatch('stock', content), String(traceparent)).toMatch(/traceparent/);
    }
  });
});
