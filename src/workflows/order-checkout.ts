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
import type { OrderActivities } from '../activities/order-activities';
import { formatMoney } from '../domain/money';
import type { OrderInput, OrderResult } from '../domain/order';
import type { SagaTuning, SagaView } from '../domain/saga';
import { activityOptions } from './activity-options';
import { Saga } from './saga';

export interface OrderCheckoutInput extends OrderInput {
  tuning: SagaTuning;
}

export async function orderCheckout(input: OrderCheckoutInput): Promise<SagaView<OrderResult>> {
  const { order } = input;
  const local = input.localSteps !== false;
  const saga = new Saga<OrderActivities>({ type: 'order', tuning: input.tuning, ...activityOptions });
  return saga.run(async () => {
    const units = order.items.reduce((sum, item) => sum + item.quantity, 0);
    const price = await saga.step('priceOrder', 'priceOrder', { currency: order.currency, items: order.items }, {
      summary: `Price ${units} items in ${order.currency}`,
      local,
    });
    const [, shippingCost] = await saga.all([
      () =>
        saga.step('reserveInventory', 'reserveInventory', { items: order.items }, {
          undo: { activity: 'releaseInventory', input: { forwardStep: 'reserveInventory' } },
          summary: `Reserve ${units} items`,
        }),
      () => saga.step('quoteShipping', 'quoteShipping', { currency: order.currency, address: order.shippingAddress, units }, { local }),
    ] as const);
    const total = { amountMinor: price.subtotal.amountMinor + shippingCost.amountMinor, currency: order.currency };
    saga.annotate({ total });
    await saga.step('authorizePayment', 'authorizePayment', { amount: total, paymentToken: order.paymentToken }, {
      undo: { activity: 'voidPayment', input: { forwardStep: 'authorizePayment' } },
      summary: `Authorize ${formatMoney(total)}`,
    });
    const shipment = await saga.step('createShipment', 'createShipment', { address: order.shippingAddress, items: order.items }, {
      undo: { activity: 'cancelShipment', input: { forwardStep: 'createShipment' } },
      summary: `Ship to ${order.shippingAddress.city}, ${order.shippingAddress.country}`,
    });
    await saga.pivot('capturePayment', 'capturePayment', { forwardStep: 'authorizePayment' }, `Capture ${formatMoney(total)}`);
    await saga.all([
      () => saga.step('commitInventory', 'commitInventory', { forwardStep: 'reserveInventory' }, { local }),
      () =>
        saga.step('notifyCustomer', 'notifyCustomer', {
          to: order.customerId,
          template: 'order-confirmed',
          data: { orderId: saga.id, total: formatMoney(total), shipmentId: shipment.shipmentId },
        }, { local }),
    ] as const);
    return { orderId: saga.id, total, shipmentId: shipment.shipmentId };
  }, input.deadlineMs);
}
