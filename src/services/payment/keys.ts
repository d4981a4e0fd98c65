/** Every Redis key of the payment service (docs/architecture.md); `prefix` isolates one store instance. */
export interface PaymentKeys {
  /** String holding one user's credit (an integer, changed only by INCRBY/DECRBY). */
  user(userId: string): string;
  /** The participant record of one saga: 'applied', a refusal reason, 'released' or 'tombstone'. */
  saga(sagaId: string): string;
  /**
   * The id of the saga holding an uncompensated charge for one order (at most one per order:
   * docs/store-semantics.md).
   */
  effect(orderId: string): string;
  /**
   * The recorded outcome of a client operation (Idempotency-Key), or the id a create with one
   * made ('created <fingerprint> <id>').
   */
  op(opId: string): string;
  /** The recorded outcome of one call without a client key, so that a resend is not applied twice. */
  call(callId: string): string;
}

export function paymentKeys(prefix: string): PaymentKeys {
  return {
    user: (userId) => `${prefix}user:${userId}`,
    saga: (sagaId) => `${prefix}saga:${sagaId}`,
    effect: (orderId) => `${prefix}effect:${orderId}`,
    op: (opId) => `${prefix}op:${opId}`,
    call: (callId) => `${prefix}call:${callId}`,
  };
}
