/**
 * Order checkout. Price, shipping quote, the commit after the pivot and the customer's notice are short
 * idempotent calls with nothing to undo, so they run as local activities (markers in the history, no
 * server round trip); SAGAWAY_LOCAL_STEPS=false makes them ordinary activities.
 *
 *   priceOrder
 *   ├─ reserveInventory ........ undo releaseInventory
 *   └─ quoteShipping
 *   authorizePayment ........... undo voidPayment
 *   createShipment ............. undo cancelShipment
 *   capturePayment ............. PIVOT: from here on only forward
 *   ├─ commitInventory
 *   └─ notifyCustomer
 *
 * A deadline for the whole saga compensates it if the pivot is not reached in time.
 */
import { patched } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/order-activities';
import { formatMoney } from '../domain/money';
import type { OrderInput, OrderResult } from '../domain/order';
import type { SagaTuning, SagaView } from '../domain/saga';
import { activityOptions } from './activity-options';
import { Saga } from './saga';
import { declareSteps } from './steps';

export interface OrderCheckoutInput extends OrderInput {
  tuning: SagaTuning;
}

export const OrderPatches = { localPivot: 'order-local-pivot' } as const;

const units = (items: Array<{ quantity: number }>) => items.reduce((sum, item) => sum + item.quantity, 0);

export const orderSteps = declareSteps<OrderActivities>()({
  priceOrder: { local: true, summary: ({ items, currency }) => `Price ${units(items)} items in ${currency}` },
  reserveInventory: { undo: 'releaseInventory', probe: 'lookupInventory', undone: ['RELEASED'], summary: ({ items }) => `Reserve ${units(items)} items` },
  quoteShipping: { local: true },
  authorizePayment: { undo: 'voidPayment', probe: 'lookupPayment', undone: ['VOIDED'], summary: ({ amount }) => `Authorize ${formatMoney(amount)}` },
  createShipment: { undo: 'cancelShipment', probe: 'lookupShipment', undone: ['CANCELLED'], summary: ({ address }) => `Ship to ${address.city}, ${address.country}` },
  capturePayment: { probe: 'lookupPayment', appliedWhen: ['CAPTURED'] },
  commitInventory: { local: true },
  notifyCustomer: { local: true },
});

export async function orderCheckout(input: OrderCheckoutInput): Promise<SagaView<OrderResult>> {
  const { order } = input;
  const saga = new Saga<OrderActivities, typeof orderSteps>({ type: 'order', tuning: input.tuning, localSteps: input.localSteps !== false, ...activityOptions }, orderSteps);
  // The holds and the capture run as activities: each is sent only once the workflow task that decided it
  // is recorded. The input may make them local activities, for measurement in development (src/config.ts
  // refuses both in production; fixed in the input, so a saga replays as it began). With localPivot the
  // capture and every hold but the last are local; the last stays an activity, so a cancel (an update, only
  // seen between workflow tasks) sent while the holds ran is seen before the capture is sent. With
  // localHolds every hold is local and the capture an activity: such a cancel is seen once it was sent.
  // A saga an older worker started (before it knew localPivot) ran its holds and capture as activities: the
  // patch keeps it so when a newer worker replays it during a rolling deploy.
  const localPivot = input.localPivot === true && patched(OrderPatches.localPivot);
  const holdsLocal = localPivot || input.localHolds === true;
  const lastHoldLocal = !localPivot && input.localHolds === true;
  return saga.run(async () => {
    const price = await saga.step('priceOrder', { currency: order.currency, items: order.items });
    const [, shippingCost] = await saga.all([
      () => saga.step('reserveInventory', { items: order.items }, { local: holdsLocal }),
      () => saga.step('quoteShipping', { currency: order.currency, address: order.shippingAddress, units: units(order.items) }),
    ] as const);
    const total = { amountMinor: price.subtotal.amountMinor + shippingCost.amountMinor, currency: order.currency };
    saga.annotate({ total });
    await saga.step('authorizePayment', { amount: total, paymentToken: order.paymentToken }, { local: holdsLocal });
    const shipment = await saga.step('createShipment', { address: order.shippingAddress, items: order.items }, { local: lastHoldLocal });
    await saga.pivot('capturePayment', saga.referenceOf('authorizePayment'), { summary: `Capture ${formatMoney(total)}`, local: localPivot });
    await saga.all([
      () => saga.step('commitInventory', saga.referenceOf('reserveInventory')),
      () =>
        saga.step('notifyCustomer', {
          to: order.customerId,
          template: 'order-confirmed',
          data: { orderId: saga.id, total: formatMoney(total), shipmentId: shipment.shipmentId },
        }),
    ] as const);
    return { orderId: saga.id, total, shipmentId: shipment.shipmentId };
  }, input.deadlineMs);
}
