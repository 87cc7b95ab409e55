/**
 * The baseline: the order checkout as one would write it by hand with the Temporal SDK and its defaults.
 * The same backend calls as plain activities, no saga engine, no view, no idempotency keys.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './activities';

const acts = proxyActivities<BaselineActivities>({ startToCloseTimeout: '10 seconds' });

export interface BaselineOrder {
  currency: string;
  items: Array<{ sku: string; quantity: number }>;
  paymentToken: string;
  address: Record<string, string>;
}

export async function baselineOrder(order: BaselineOrder): Promise<{ total: number; shipmentId: string }> {
  const subtotal = await acts.price(order.currency, order.items);
  const [reservationId, shipping] = await Promise.all([acts.reserve(order.items), acts.quoteShipping(order.currency, order.address)]);
  const authorizationId = await acts.authorize(subtotal + shipping, order.currency, order.paymentToken);
  const shipmentId = await acts.createShipment(order.address, order.items);
  await acts.capture(authorizationId);
  await Promise.all([acts.commit(reservationId), acts.notify(order.paymentToken)]);
  return { total: subtotal + shipping, shipmentId };
}
