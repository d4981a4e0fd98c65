/** Looks up an item's current price from the stock service over the bus, for addItem. */
import { Unavailable } from '../../lib/errors.js';
import type { Bus } from '../../bus/bus.js';
import type { SagaTiming } from '../../lib/config.js';

export type PriceLookup = (itemId: string) => Promise<number | undefined>;

export function priceLookup(bus: Bus, timing: SagaTiming): PriceLookup {
  return async (itemId) => {
    // A read is safe to repeat: re-ask until answered, for as long as a saga would wait.
    const giveUpAt = Date.now() + timing.deadlineMs;
    while (Date.now() < giveUpAt) {
      const reply = await bus.request('stock', { type: 'price', itemId }, timing.attemptMs);
      if (reply === undefined) continue;
      if (!reply.ok) return undefined;
      if (reply.price !== undefined) return reply.price;
    }
    throw new Unavailable(`stock service did not answer a price query in ${timing.deadlineMs} ms`, 2);
  };
}
