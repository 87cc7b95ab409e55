import fc from 'fast-check';
import type { WorkflowHandle } from '@temporalio/client';
import type { SagaView } from '../../src/domain/saga';
import type { TripInput, TripResult } from '../../src/domain/trip';
import { setTimeout as sleep } from 'node:timers/promises';
import { priceConfirmationUpdate } from '../../src/workflows/messages';
import { tripBooking, tripSteps } from '../../src/workflows/trip-booking';
import type { CallSpecs } from '../backend-calls';
import { engineSpecs, moneyIn, plansFrom, simTuning, type SagaSim } from '../saga-sim';

interface Params {
  /** The leg whose held price moves 20% from its quote: the saga asks the traveller. */
  jump: 'none' | 'flight' | 'hotel' | 'car';
  localSteps: boolean;
}

const PRICE = 10_000;
const hold = (jumps: boolean) => (_i: unknown, key: string) => ({ holdId: `hold-${key}`, price: { amountMinor: jumps ? PRICE * 1.2 : PRICE, currency: 'EUR' }, expiresAt: '2099-01-01T00:00:00Z' });
const quote = () => ({ offerId: 'offer-1', price: { amountMinor: PRICE, currency: 'EUR' } });

export const tripSim: SagaSim<Params> = {
  name: 'tripBooking',
  workflow: tripBooking,
  plans: plansFrom(tripSteps, { issueTicket: 'pivot', capturePayment: 'after' }),
  params: fc.record({ jump: fc.constantFrom('none' as const, 'none' as const, 'flight' as const, 'hotel' as const, 'car' as const), localSteps: fc.boolean() }),
  updates: true,
  specs: ({ jump }): CallSpecs => ({
    quoteFlight: { phase: 'plain', backend: 'flights', answer: quote, refusals: ['UnknownOffer'] },
    quoteHotel: { phase: 'plain', backend: 'hotels', answer: quote, refusals: ['SoldOut'] },
    quoteCar: { phase: 'plain', backend: 'cars', answer: quote },
    quoteRate: { phase: 'plain', backend: 'fx', answer: () => ({ quoteId: 'fx-1', base: 'EUR', rates: { USD: 1, EUR: 1, GBP: 1 }, expiresAt: '2099-01-01T00:00:00Z' }) },
    lockRate: { phase: 'forward', backend: 'fx', status: 'LOCKED', answer: (_i, key) => ({ lockId: `lock-${key}` }), refusals: ['RateExpired'] },
    releaseRate: { phase: 'undo', backend: 'fx', status: 'RELEASED' },
    lookupRate: { phase: 'probe', backend: 'fx' },
    holdFlight: { phase: 'forward', backend: 'flights', status: 'HELD', answer: hold(jump === 'flight'), refusals: ['SoldOut'] },
    releaseFlight: { phase: 'undo', backend: 'flights', status: 'RELEASED' },
    issueTicket: { phase: 'pivot', backend: 'flights', status: 'TICKETED', answer: (_i, key) => ({ ticketNumber: `tkt-${key}` }), refusals: ['HoldExpired'] },
    lookupFlight: { phase: 'probe', backend: 'flights' },
    holdHotel: { phase: 'forward', backend: 'hotels', status: 'HELD', answer: hold(jump === 'hotel'), refusals: ['SoldOut'] },
    releaseHotel: { phase: 'undo', backend: 'hotels', status: 'RELEASED' },
    confirmHotel: { phase: 'forward', backend: 'hotels', status: 'CONFIRMED', answer: (_i, key) => ({ confirmation: `htl-${key}` }), refusals: ['HoldExpired', 'SoldOut'] },
    cancelHotel: { phase: 'undo', backend: 'hotels', status: 'CANCELLED' },
    lookupHotel: { phase: 'probe', backend: 'hotels' },
    holdCar: { phase: 'forward', backend: 'cars', status: 'HELD', answer: hold(jump === 'car'), refusals: ['SoldOut'] },
    releaseCar: { phase: 'undo', backend: 'cars', status: 'RELEASED' },
    confirmCar: { phase: 'forward', backend: 'cars', status: 'CONFIRMED', answer: (_i, key) => ({ confirmation: `car-${key}` }), refusals: ['HoldExpired'] },
    cancelCar: { phase: 'undo', backend: 'cars', status: 'CANCELLED' },
    lookupCar: { phase: 'probe', backend: 'cars' },
    authorizePayment: {
      phase: 'forward',
      backend: 'payments',
      status: 'AUTHORIZED',
      answer: (_i, key) => ({ authorizationId: `auth-${key}` }),
      amountMinor: (i) => i.amount.amountMinor,
      refusals: ['PaymentDeclined'],
    },
    voidPayment: { phase: 'undo', backend: 'payments', status: 'VOIDED' },
    capturePayment: { phase: 'after', backend: 'payments', status: 'CAPTURED' },
    lookupPayment: { phase: 'probe', backend: 'payments' },
    sendItinerary: { phase: 'plain', backend: 'notifications', answer: () => ({ messageId: 'm-1' }) },
    ...engineSpecs,
  }),
  localFirst: ({ localSteps }) => localSteps,
  args: ({ localSteps }): [TripInput] => [
    {
      trip: {
        travellerId: 't-sim',
        currency: 'EUR',
        paymentToken: 'tok_visa',
        priceTolerancePercent: 5,
        priceConfirmationSeconds: 1,
        flight: { route: 'BER-LIS', date: '2027-05-01', passengers: 1 },
        hotel: { hotelCode: 'LIS-ALFAMA', checkIn: '2027-05-01', nights: 3, rooms: 1 },
        car: { pickup: 'LIS', carClass: 'compact', days: 3 },
      },
      localSteps,
      tuning: simTuning,
    },
  ],
  async update(handle: WorkflowHandle, view: SagaView, value: number, _params, read): Promise<string> {
    const accept = value % 3 !== 0;
    // The traveller answers once asked: a moment that a random time would mostly miss.
    for (let waited = 0; !view.details.awaiting && view.status === 'RUNNING' && waited < 2_000; waited += 100) {
      await sleep(100);
      view = await read();
    }
    await handle.executeUpdate(priceConfirmationUpdate, { args: [{ accept }] });
    return `price ${accept ? 'accepted' : 'refused'}`;
  },
  told: (view) => (view as SagaView<TripResult>).result?.total.amountMinor ?? 0,
  taken: (world) => moneyIn(world, 'payments', 'CAPTURED'),
  expectsPivot: () => true,
  completed: (view, world) => {
    const out: string[] = [];
    const result = (view as SagaView<TripResult>).result;
    // An operator who resolved the ticket issued it by hand: the airline has its number, the saga does not.
    const byHand = view.steps.some((s) => s.name.startsWith('issueTicket') && s.status === 'SUCCEEDED' && s.error?.startsWith('resolved by'));
    if (!result?.ticketNumber && !byHand) out.push('COMPLETED without a ticket number');
    for (const leg of ['confirmHotel', 'confirmCar']) {
      if (!world.live((s) => s.startsWith(leg)).length) out.push(`COMPLETED, but no live ${leg}`);
    }
    return out;
  },
  required: ['event cancel accepted', 'event price accepted', 'event price refused', 'final error PriceConfirmationTimeout', 'phase pivot', 'phase after', 'phase undo', 'phase probe'],
};
