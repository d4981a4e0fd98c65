import type { Reason } from './outcome.js';

/** The one table from refusal reasons to HTTP status and message (docs/architecture.md, Conventions). */
export const HTTP_ERRORS: Readonly<Record<Reason, { status: number; message: string }>> = {
  order_not_found: { status: 404, message: 'order not found' },
  item_not_found: { status: 404, message: 'item not found' },
  user_not_found: { status: 404, message: 'user not found' },
  insufficient_stock: { status: 400, message: 'insufficient stock' },
  insufficient_credit: { status: 400, message: 'insufficient credit' },
  order_paid: { status: 409, message: 'order is already paid' },
  checkout_running: { status: 409, message: 'a checkout of this order is running' },
  overflow: { status: 400, message: 'amount would exceed the largest supported value' },
  order_too_large: {
    status: 400,
    message: 'order is full: it may hold at most ORDER_MAX_LINES lines and ORDER_MAX_QUANTITY units',
  },
  compensated: { status: 409, message: 'checkout was cancelled' },
  checkout_timeout: { status: 409, message: 'checkout did not complete in time; nothing was charged' },
  operator: { status: 409, message: 'checkout was cancelled by an operator; nothing was charged' },
};
