/**
 * Keeps an owner's claims on the sagas it drives alive. When a renewal is refused the saga was
 * taken over (or finished) elsewhere: `lost` turns true and the driver must stop writing — the
 * store's epoch check refuses it anyway; this only saves wasted work.
 *
 * One timer per replica, not one per saga: a checkout lasts milliseconds and almost never
 * lives to its first renewal, yet a timer of its own (a Timeout, its closure and the lease,
 * alive for the whole saga) was a third of what every saga in flight kept on the heap, and
 * what a young-generation GC finds alive there is moved to the old generation (profile in
 * docs/performance.md). The keeper looks every leaseMs/8 and renews a lease once a quarter of
 * it has run, counted from the saga's stored `leaseUntil` (set before the begin step that took
 * it, which a loaded store may answer late): the first attempt comes 1/4–3/8 of the way in,
 * a failed one is tried again an eighth later. The timer runs only while some lease is held,
 * and stops at the first look that finds none.
 */
import type { Log } from '../../lib/log.js';
import type { OrderStore, Saga } from './store.js';

export interface Lease {
  readonly lost: boolean;
  stop(): void;
}

export interface LeaseKeeper {
  /** Starts renewing the saga's lease (taken at its epoch just now) until `stop` or loss. */
  keep(saga: Saga): Lease;
  /** Leases held now (for the tests). */
  held(): number;
}

/** A class, not an object literal with a closure: one small object per saga in flight. */
class Held implements Lease {
  lost = false;
  renewing = false;
  /** When the lease runs out as last written (ms since the epoch). */
  expires: number;

  constructor(
    private readonly held: Set<Held>,
    readonly saga: Saga,
  ) {
    this.expires = saga.leaseUntil;
    held.add(this);
  }

  stop(): void {
    this.held.delete(this);
  }
}

export function createLeaseKeeper(store: OrderStore, leaseMs: number, log: Log): LeaseKeeper {
  const held = new Set<Held>();
  /** A lease with this much or less left is renewed. */
  const renewBelowMs = (leaseMs * 3) / 4;
  let timer: NodeJS.Timeout | undefined;

  function renew(lease: Held): void {
    const { saga } = lease;
    lease.renewing = true;
    const until = Date.now() + leaseMs;
    store
      .renewLease(saga.sagaId, saga.epoch, until)
      .then((renewed) => {
        if (renewed) {
          lease.expires = until;
          return;
        }
        lease.lost = true;
        held.delete(lease);
      })
      // A failed renewal is retried at a later look; if the lease expires meanwhile, another
      // replica takes over and the next renewal is refused.
      .catch((error: unknown) =>
        log.warn({ err: error, saga_id: saga.sagaId, order_id: saga.orderId }, 'lease renewal failed'),
      )
      .finally(() => {
        lease.renewing = false;
      });
  }

  function look(): void {
    if (held.size === 0) {
      clearInterval(timer);
      timer = undefined;
      return;
    }
    const due = Date.now() + renewBelowMs;
    for (const lease of held) {
      if (!lease.renewing && lease.expires <= due) renew(lease);
    }
  }

  return {
    keep(saga) {
      const lease = new Held(held, saga);
      if (timer === undefined) {
        timer = setInterval(look, Math.max(1, Math.floor(leaseMs / 8)));
        timer.unref();
      }
      return lease;
    },
    held: () => held.size,
  };
}
