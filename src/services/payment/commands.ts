/** The payment participant: applies saga commands from the bus to the store. */
import { handleEach } from '../../bus/handle-each.js';
import type { Handler, PaymentCommand, Reply } from '../../bus/bus.js';
import type { PaymentStore } from './store.js';

const ACK: Reply = { ok: true };

async function apply(store: PaymentStore, command: PaymentCommand): Promise<Reply> {
  switch (command.type) {
    case 'charge':
      return store.charge(command.sagaId, command.orderId, command.userId, command.amount);
    case 'refund':
      await store.refund(command.sagaId);
      return ACK;
    case 'record': {
      const record = await store.sagaRecord(command.sagaId);
      return record === undefined ? ACK : { ok: true, record };
    }
  }
}

/** The commands of a batch run concurrently: the Redis store pipelines them and shares one WAIT. */
export function paymentCommands(store: PaymentStore): Handler<PaymentCommand> {
  return handleEach('payment', (command: PaymentCommand) => apply(store, command));
}
