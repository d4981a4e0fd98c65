/** The bus settings config.ts reads: AMQP_SINGLE_ACTIVE_CONSUMER takes only true/false (or 1/0). */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config.js';

describe('AMQP_SINGLE_ACTIVE_CONSUMER', () => {
  it('is off unless set, so every replica of a participant consumes', () => {
    expect(loadConfig({}).amqpSingleActiveConsumer).toBe(false);
    expect(loadConfig({ AMQP_SINGLE_ACTIVE_CONSUMER: '' }).amqpSingleActiveConsumer).toBe(false);
  });

  it('reads true/false and 1/0', () => {
    expect(loadConfig({ AMQP_SINGLE_ACTIVE_CONSUMER: 'true' }).amqpSingleActiveConsumer).toBe(true);
    expect(loadConfig({ AMQP_SINGLE_ACTIVE_CONSUMER: '1' }).amqpSingleActiveConsumer).toBe(true);
    expect(loadConfig({ AMQP_SINGLE_ACTIVE_CONSUMER: 'false' }).amqpSingleActiveConsumer).toBe(false);
    expect(loadConfig({ AMQP_SINGLE_ACTIVE_CONSUMER: '0' }).amqpSingleActiveConsumer).toBe(false);
  });

  it('refuses anything else instead of guessing', () => {
    expect(() => loadConfig({ AMQP_SINGLE_ACTIVE_CONSUMER: 'yes' })).toThrow(
      /AMQP_SINGLE_ACTIVE_CONSUMER must be true or false/,
    );
  });
});
