/** Saga ids: unique, and sorted by creation so the stores' B-trees append instead of scatter. */
import { describe, expect, it } from 'vitest';
import { newSagaId } from '../../src/services/order/saga-id.js';

describe('newSagaId', () => {
  it('makes distinct ids that sort in the order they were made', () => {
    const ids = Array.from({ length: 50_000 }, () => newSagaId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('fits the bus codec and key limits (short, no separators that need escaping)', () => {
    expect(newSagaId()).toMatch(/^[0-9a-z]{13}-[0-9a-f]{12}$/);
  });
});
