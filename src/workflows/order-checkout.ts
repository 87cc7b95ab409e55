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
  // The steps that hold something, and the capture, run as the saga's input says (fixed when it started,
  // so it replays as it began): with localPivot (SAGAWAY_LOCAL_PIVOT) the capture and every hold but the
  // last are local activities. The last hold stays an activity: a cancel is an update, updates are only seen
  // between workflow tasks, and its completion starts the task in which a cancel sent while the holds ran is
  // seen, before the capture is sent. With localHolds alone (SAGAWAY_LOCAL_HOLDS) every hold is local and the
  // capture an activity, so such a cancel is usually seen only once the capture was sent.
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
