/**
 * A shop ready for a checkout, set up over the public API: a user with credit, an item with
 * stock, and an order of that item. Either through one client (all services behind one app)
 * or through each service's own.
 */
import { field, type Client } from '../../harness/client.js';

export interface ServiceClients {
  payment: Client;
  stock: Client;
  order: Client;
}

export interface ShopSpec {
  credit: number;
  price: number;
  stock: number;
  quantity: number;
}

export async function orderReadyToPay(
  api: Client | ServiceClients,
  spec: ShopSpec,
): Promise<{ userId: string; itemId: string; orderId: string }> {
  const { payment, stock, order } = 'post' in api ? { payment: api, stock: api, order: api } : api;
  const userId = field<string>(await payment.post('/payment/create_user'), 'user_id');
  await payment.post(`/payment/add_funds/${userId}/${spec.credit}`);
  const itemId = field<string>(await stock.post(`/stock/item/create/${spec.price}`), 'item_id');
  await stock.post(`/stock/add/${itemId}/${spec.stock}`);
  const orderId = field<string>(await order.post(`/orders/create/${userId}`), 'order_id');
  await order.post(`/orders/addItem/${orderId}/${itemId}/${spec.quantity}`);
  return { userId, itemId, orderId };
}
