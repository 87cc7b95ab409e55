/**
 * Trip booking: a flight, a hotel and a hire car from three suppliers that price in their own currencies
 * (USD, EUR, GBP), paid in the traveller's currency at a rate locked for the whole saga.
 *
 *   ├─ quoteFlight   ├─ quoteHotel (OTA XML)   ├─ quoteCar   └─ quoteRate (expires)
 *   lockRate ................ undo releaseRate
 *   ├─ holdFlight ........... undo releaseFlight
 *   ├─ holdHotel ............ undo releaseHotel
 *   └─ holdCar .............. undo releaseCar
 *   awaitPriceConfirmation .. only when a hold moved beyond the traveller's tolerance: the client accepts
 *                             or refuses the new total in time, or the saga compensates
 *   authorizePayment ........ undo voidPayment
 *   ├─ confirmHotel ......... undo cancelHotel
 *   └─ confirmCar ........... undo cancelCar
 *   issueTicket ............. PIVOT: a ticket cannot be unissued
 *   capturePayment
 *   sendItinerary
 *
 * A hold the supplier let lapse before ticketing is held again once (holdHotel#2, confirmHotel#2); if it
 * lapses again, or comes back at a price beyond the tolerance, the saga compensates. Any leg unavailable
 * (a sold-out hotel) compensates the others, newest first.
 *
 * trip-agreed-total (trip-agreement.ts): the tolerance is measured against the total the traveller last
 * agreed to, a hold taken again is put to the traveller beyond it (and authorized for the difference
 * within it), and the capture is exactly the total of what was confirmed.
 */
import { ActivityFailure, ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/order-activities';
import type { TravelActivities } from '../activities/travel-activities';
import { FailureType } from '../domain/failures';
import { formatMoney, type Money } from '../domain/money';
import type { SagaView } from '../domain/saga';
import type { Reference } from '../domain/steps';
import { Legs, movedBeyond, totalOf, type Awaiting, type Leg, type LegHold, type LegQuote, type LockedRate, type TripInput, type TripResult } from '../domain/trip';
import type { PriceConfirmation, TripRequest } from '../domain/trip-request';
import { activityOptions } from './activity-options';
import { priceConfirmationUpdate } from './messages';
import { Saga } from './saga';
import { Agreement, type Ask } from './trip-agreement';
import { declareSteps } from './steps';

type Activities = TravelActivities & Pick<OrderActivities, 'authorizePayment' | 'voidPayment' | 'capturePayment' | 'lookupPayment'>;

export const tripSteps = declareSteps<Activities>()({
  quoteFlight: { local: true, summary: ({ route, passengers }) => `Quote ${route} for ${passengers}` },
  quoteHotel: { local: true, summary: ({ hotelCode, nights }) => `Quote ${hotelCode}, ${nights} nights` },
  quoteCar: { local: true, summary: ({ carClass, pickup }) => `Quote a ${carClass} at ${pickup}` },
  quoteRate: { local: true, summary: ({ base }) => `Quote rates into ${base}` },
  lockRate: { undo: 'releaseRate', probe: 'lookupRate', summary: () => 'Lock the rates for this trip' },
  holdFlight: { undo: 'releaseFlight', probe: 'lookupFlight', summary: ({ route }) => `Hold ${route}` },
  holdHotel: { undo: 'releaseHotel', probe: 'lookupHotel', summary: ({ hotelCode }) => `Hold ${hotelCode}` },
  holdCar: { undo: 'releaseCar', probe: 'lookupCar', summary: ({ carClass, pickup }) => `Hold a ${carClass} at ${pickup}` },
  authorizePayment: { undo: 'voidPayment', probe: 'lookupPayment', summary: ({ amount }) => `Authorize ${formatMoney(amount)}` },
  confirmHotel: { undo: 'cancelHotel', probe: 'lookupHotel', appliedWhen: ['CONFIRMED'] },
  confirmCar: { undo: 'cancelCar', probe: 'lookupCar', appliedWhen: ['CONFIRMED'] },
  issueTicket: { probe: 'lookupFlight', appliedWhen: ['TICKETED'] },
  capturePayment: { probe: 'lookupPayment', appliedWhen: ['CAPTURED'] },
  sendItinerary: { local: true },
});
export type TripSaga = Saga<Activities, typeof tripSteps>;

export const TRIP_AGREED_TOTAL_PATCH = 'trip-agreed-total';

export async function tripBooking(input: TripInput): Promise<SagaView<TripResult>> {
  const { trip } = input;
  const saga: TripSaga = new Saga({ type: 'trip', tuning: input.tuning, localSteps: input.localSteps !== false, ...activityOptions }, tripSteps);
  const confirmation = awaitPriceConfirmation(saga, trip);
  return saga.run(async () => {
    const [flight, hotel, car, rate] = await saga.all([
      () => saga.step('quoteFlight', trip.flight),
      () => saga.step('quoteHotel', trip.hotel),
      () => saga.step('quoteCar', trip.car),
      () => saga.step('quoteRate', { base: trip.currency, currencies: ['USD', 'EUR', 'GBP'] }),
    ] as const);
    const quotes: Record<Leg, LegQuote> = { flight, hotel, car };
    const quotedTotal = totalOf(Legs.map((leg) => quotes[leg].price), rate);
    saga.annotate({ quotedTotal, rate: { quoteId: rate.quoteId, rates: rate.rates, expiresAt: rate.expiresAt } });
    await saga.step('lockRate', { quoteId: rate.quoteId });

    const agreement = patched(TRIP_AGREED_TOTAL_PATCH)
      ? new Agreement(saga, trip, rate, { total: quotedTotal, prices: { flight: flight.price, hotel: hotel.price, car: car.price } }, confirmation.ask)
      : null;
    const holds = new LegHolds(saga, trip, agreement);
    await saga.all([() => holds.hold('flight'), () => holds.hold('hotel'), () => holds.hold('car')] as const);
    const total = agreement ? await agreement.reprice(holds.prices()) : await confirmation.agree(quotes, holds.prices(), quotedTotal, rate);
    saga.annotate({ total });
    if (agreement) await agreement.authorize();
    else await saga.step('authorizePayment', { amount: total, paymentToken: trip.paymentToken });

    const [hotelBooking, carBooking] = await saga.all([
      () => holds.settle('hotel', (hold, unit) => saga.step('confirmHotel', hold, { unit })),
      () => holds.settle('car', (hold, unit) => saga.step('confirmCar', hold, { unit })),
    ] as const);
    const ticket = await holds.settle('flight', (hold, unit) => saga.pivot('issueTicket', hold, { unit, summary: `Issue the ticket ${trip.flight.route}` }));

    if (agreement) await agreement.capture();
    else await saga.step('capturePayment', saga.referenceOf('authorizePayment'), { summary: `Capture ${formatMoney(total)}` });
    const result: TripResult = {
      tripId: saga.id,
      total: agreement?.total ?? total,
      // None when an operator resolved the ticket by hand: the airline has it, the saga does not.
      ticketNumber: ticket?.ticketNumber ?? null,
      hotelConfirmation: hotelBooking.confirmation,
      carConfirmation: carBooking.confirmation,
    };
    await saga.step('sendItinerary', { to: trip.travellerId, data: { ...result, total: formatMoney(result.total) } });
    return result;
  });
}

const HOLD_STEP = { flight: 'holdFlight', hotel: 'holdHotel', car: 'holdCar' } as const;

/** Each leg's live hold and the try that made it (1, or 2 once held again); settling names the hold by its key. */
class LegHolds {
  private readonly live = new Map<Leg, { round: number; hold: LegHold }>();

  constructor(private readonly saga: TripSaga, private readonly trip: TripRequest, private readonly agreement: Agreement | null) {}

  async hold(leg: Leg, round = 1): Promise<LegHold> {
    const unit = round === 1 ? undefined : round;
    const summary = `Hold the ${leg}${round > 1 ? ' again' : ''}`;
    const hold = await (leg === 'flight'
      ? this.saga.step('holdFlight', this.trip.flight, { unit, summary })
      : leg === 'hotel'
        ? this.saga.step('holdHotel', this.trip.hotel, { unit, summary })
        : this.saga.step('holdCar', this.trip.car, { unit, summary }));
    this.live.set(leg, { round, hold });
    this.saga.annotate({ holds: Object.fromEntries([...this.live].map(([l, h]) => [l, h.hold])) });
    return hold;
  }

  prices(): Record<Leg, LegHold['price']> {
    return { flight: this.live.get('flight')!.hold.price, hotel: this.live.get('hotel')!.hold.price, car: this.live.get('car')!.hold.price };
  }

  /**
   * Confirms or tickets a leg on its live hold (`settle` gets the hold's reference and the try, as the
   * step's unit); a hold the supplier let lapse is held again, once.
   */
  async settle<T>(leg: Leg, settle: (hold: Reference, unit: number | undefined) => Promise<T>): Promise<T> {
    const first = this.live.get(leg)!;
    try {
      return await settle(this.saga.referenceOf(HOLD_STEP[leg]), undefined);
    } catch (err) {
      if (!lapsed(err)) throw err;
    }
    const again = await this.hold(leg, 2);
    if (this.agreement) await this.agreement.reprice(this.prices());
    else if (movedBeyond(first.hold.price, again.price, this.trip.priceTolerancePercent)) {
      this.saga.reject(FailureType.HoldExpired, `the ${leg} hold lapsed and could only be held again at ${formatMoney(again.price)}, not ${formatMoney(first.hold.price)}`);
    }
    return settle(this.saga.referenceOf(HOLD_STEP[leg], 2), 2);
  }
}

function lapsed(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === FailureType.HoldExpired;
}

/**
 * The traveller's say on a moved price: the priceConfirmation update is answered only while the saga
 * waits for it, and the view shows what it waits for and until when.
 */
function awaitPriceConfirmation(saga: TripSaga, trip: TripRequest) {
  let awaiting: Awaiting | null = null;
  let decision: boolean | null = null;
  // The same answer again (a client retrying after a lost response) is answered as the first was.
  setHandler(
    priceConfirmationUpdate,
    ({ accept }) => {
      decision ??= accept;
      return { accepted: decision };
    },
    {
      validator: ({ accept }: PriceConfirmation) => {
        if (decision !== null && decision !== accept) {
          throw ApplicationFailure.nonRetryable(`the traveller already ${decision ? 'accepted' : 'refused'} the new total`, FailureType.NotAwaitingConfirmation);
        }
        if (decision === null && !awaiting) throw ApplicationFailure.nonRetryable('the saga is not waiting for a price confirmation', FailureType.NotAwaitingConfirmation);
      },
    },
  );

  /** trip-agreed-total: round 1 is the wait as before; a later round asks again, afresh. */
  const ask: Ask = async (agreedTotal, newTotal, moved, round) => {
    if (round > 1) decision = null;
    await saga.track(round === 1 ? 'awaitPriceConfirmation' : `awaitPriceConfirmation#${round}`, () => wait(agreedTotal, newTotal, moved));
  };

  const wait = async (quotedTotal: Money, newTotal: Money, moved: Awaiting['moved']) => {
    const ms = trip.priceConfirmationSeconds * 1_000;
    awaiting = { for: 'priceConfirmation', until: new Date(Date.now() + ms).toISOString(), quotedTotal, newTotal, moved };
    saga.annotate({ awaiting });
    try {
      const answered = await condition(() => decision !== null, ms);
      saga.annotate({ priceConfirmation: answered ? (decision ? 'ACCEPTED' : 'REFUSED') : 'TIMED_OUT' });
      if (!answered) saga.reject(FailureType.PriceConfirmationTimeout, `no answer to the new total of ${formatMoney(newTotal)} within ${trip.priceConfirmationSeconds} s`);
      if (!decision) saga.reject(FailureType.PriceRefused, `the traveller refused the new total of ${formatMoney(newTotal)} (agreed ${formatMoney(quotedTotal)})`);
    } finally {
      awaiting = null;
      saga.annotate({ awaiting: null });
    }
  };

  return {
    ask,
    /** The total to charge: the held prices, once the traveller has agreed to any move beyond the tolerance. */
    async agree(quotes: Record<Leg, LegQuote>, held: Record<Leg, LegHold['price']>, quotedTotal: Money, rate: LockedRate): Promise<Money> {
      const newTotal = totalOf(Legs.map((leg) => held[leg]), rate);
      const moved = Legs.filter((leg) => movedBeyond(quotes[leg].price, held[leg], trip.priceTolerancePercent)).map((leg) => ({ leg, quoted: quotes[leg].price, held: held[leg] }));
      if (moved.length === 0) return newTotal;
      await saga.track('awaitPriceConfirmation', () => wait(quotedTotal, newTotal, moved));
      return newTotal;
    },
  };
}
