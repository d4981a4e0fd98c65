/** Every Redis key of the order service (docs/architecture.md); `prefix` isolates one store instance. */
export interface OrderKeys {
  /** Hash `{user, items, total, paid, saga}`; `saga` is set while a checkout freezes the order. */
  order(orderId: string): string;
  /** Hash of one saga record (see store.redis.ts for the fields). */
  saga(sagaId: string): string;
  /**
   * Sorted set of unfinished sagas scored by lease expiry, for the sweeper. One per store: with
   * Redis Cluster it would become one per shard (docs/architecture.md, Beyond one machine).
   */
  leases(): string;
  /** The recorded outcome of one addItem call, so that a resend is not applied twice. */
  call(callId: string): string;
  /**
   * The recorded outcome of an addItem carrying the client's Idempotency-Key, or the id a
   * createOrder with one made ('created <fingerprint> <id>').
   */
  op(opId: string): string;
}

export function orderKeys(prefix: string): OrderKeys {
  return {
    order: (orderId) => `${prefix}order:${orderId}`,
    saga: (sagaId) => `${prefix}saga:${sagaId}`,
    leases: () => `${prefix}leases`,
    call: (callId) => `${prefix}call:${callId}`,
    op: (opId) => `${prefix}op:${opId}`,
  };
}
