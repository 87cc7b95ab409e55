import type { Address, OrderItem } from '../../src/domain/order';
import type { Money } from '../../src/domain/money';
import type { OrderCheckoutInput } from '../../src/workflows/order-checkout';
import { fastTuning, mockActivities } from './workflow-env';

/** The order saga's input for workflow tests: two books to Berlin, a minute's deadline, fast undo retries. */
export const input = (overrides: Partial<OrderCheckoutInput> = {}): OrderCheckoutInput => ({
  order: {
    customerId: 'c-42',
    currency: 'EUR',
    items: [{ sku: 'book-001', quantity: 2 }],
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
  },
  deadlineMs: 60_000,
  tuning: fastTuning,
  ...overrides,
});

/** Backends that say yes to everything; a test replaces the one it wants to refuse. */
export function orderBackends(overrides: Record<string, (...args: never[]) => Promise<unknown>> = {}) {
  return mockActivities({
    priceOrder: async (i: { items: OrderItem[] }) => ({ quoteId: 'q-1', subtotal: { amountMinor: 1_000 * i.items.length, currency: 'EUR' } }),
    reserveInventory: async () => ({ reservationId: 'r-1' }),
    quoteShipping: async (i: { address: Address }): Promise<Money> => ({ amountMinor: i.address.country === 'DE' ? 500 : 900, currency: 'EUR' }),
    authorizePayment: async () => ({ authorizationId: 'a-1' }),
    createShipment: async () => ({ shipmentId: 'shp-1' }),
    capturePayment: async () => undefined,
    commitInventory: async () => undefined,
    notifyCustomer: async () => ({ messageId: 'm-1' }),
    releaseInventory: async () => undefined,
    voidPayment: async () => undefined,
    cancelShipment: async () => undefined,
    // Asked before an undo whether it already happened: here it never has.
    lookupInventory: async () => ({ found: false, status: null }),
    lookupPayment: async () => ({ found: false, status: null }),
    lookupShipment: async () => ({ found: false, status: null }),
    ...overrides,
  });
}

