import { currentCall } from '../../src/activities/http-client';

export interface SeenCall {
  activity: string;
  step: string;
  key: string;
  input: unknown;
}

type Behaviour = (input: any, seen: SeenCall[]) => Promise<unknown>;

/**
 * The order saga's activities, mocked: each records the step and key the engine passed with it, then
 * answers as `overrides` says or with a plausible success.
 */
export function mockOrderActivities(overrides: Record<string, Behaviour> = {}) {
  const seen: SeenCall[] = [];
  const ok = (value: unknown): Behaviour => async () => value;
  const defaults: Record<string, Behaviour> = {
    priceOrder: ok({ quoteId: 'q1', subtotal: { amountMinor: 6500, currency: 'EUR' } }),
    reserveInventory: ok({ reservationId: 'res_1' }),
    releaseInventory: ok(undefined),
    commitInventory: ok(undefined),
    quoteShipping: ok({ amountMinor: 500, currency: 'EUR' }),
    authorizePayment: ok({ authorizationId: 'auth_1' }),
    voidPayment: ok(undefined),
    capturePayment: ok(undefined),
    createShipment: ok({ shipmentId: 'shp_1' }),
    cancelShipment: ok(undefined),
    notifyCustomer: ok({ messageId: 'm1' }),
    lookupInventory: ok({ found: true, status: 'HELD' }),
    lookupPayment: ok({ found: true, status: 'AUTHORIZED' }),
    lookupShipment: ok({ found: true, status: 'CREATED' }),
    sendAlert: ok(undefined),
  };
  const activities: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    activities[name] = async (input: unknown) => {
      const call = currentCall();
      seen.push({ activity: name, step: call.step, key: call.key, input });
      return (overrides[name] ?? fallback)(input, seen);
    };
  }
  return { activities, seen };
}

export const ORDER = {
  customerId: 'c-42',
  currency: 'EUR' as const,
  items: [{ sku: 'book-001', quantity: 2 }],
  paymentToken: 'tok_visa',
  shippingAddress: { name: 'Ada', line1: '1 Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
};

export const FAST_TUNING = { stuckAfterAttempts: 3, compensationBackoffMs: { initial: 50, max: 200 } };
