/**
 * Keeps an owner's claim on a saga alive while it drives it. When a renewal is refused the
 * saga was taken over (or finished) elsewhere: `lost` turns true and the driver must stop
 * writing — the store's epoch check refuses it anyway; this only saves wasted work.
 */
import type { Log } from '../../lib/log.js';
import type { OrderStore, Saga } from './store.js';

export interface Lease {
  readonly lost: boolean;
  stop(): void;
}

export function keepLease(store: OrderStore, saga: Saga, leaseMs: number, log: Log): Lease {
  let lost = false;
  let renewing = false;
  const timer = setInterval(
    () => {
      if (renewing) return;
      renewing = true;
      store
        .renewLease(saga.sagaId, saga.epoch, Date.now() + leaseMs)
        .then((renewed) => {
          if (!renewed) {
            lost = true;
            clearInterval(timer);
          }
        })
        // A failed renewal is retried on the next tick; if the lease expires meanwhile,
        // another replica takes over and the next renewal is refused.
        .catch((error: unknown) =>
          log.warn({ err: error, saga_id: saga.sagaId, order_id: saga.orderId }, 'lease renewal failed'),
        )
        .finally(() => {
          renewing = false;
        });
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    stop: () => clearInterval(timer),
  };
}
