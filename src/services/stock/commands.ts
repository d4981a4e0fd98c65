/** The stock participant: applies saga commands from the bus to the store. */
import { handleEach } from '../../bus/handle-each.js';
import type { Handler, Reply, StockCommand } from '../../bus/bus.js';
import type { StockStore } from './store.js';

const ACK: Reply = { ok: true };

async function apply(store: StockStore, command: StockCommand): Promise<Reply> {
  switch (command.type) {
    case 'reserve':
      return store.reserve(command.sagaId, command.orderId, command.items);
    case 'release':
      await store.release(command.sagaId);
      return ACK;
    case 'record': {
      const record = await store.sagaRecord(command.sagaId);
      return record === undefined ? ACK : { ok: true, record };
    }
    case 'price': {
      const item = await store.findItem(command.itemId);
      return item ? { ok: true, price: item.price } : { ok: false, reason: 'item_not_found' };
    }
  }
}

/** The commands of a batch run concurrently: the Redis store pipelines them and shares one WAIT. */
export function stockCommands(store: StockStore): Handler<StockCommand> {
  return handleEach('stock', (command: StockCommand) => apply(store, command));
}
