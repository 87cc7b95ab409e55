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
 */
import { ActivityFailure, ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/order-activities';
import type { TravelActivities } from '../activities/travel-activities';
import { FailureType } from '../domain/failures';
import { formatMoney, type Money } from '../domain/money';
import type { SagaView } from '../domain/saga';
import { Legs, movedBeyond, totalOf, type Awaiting, type Leg, type LegHold, type LegQuote, type LockedRate, type TripInput, type TripResult } from '../domain/trip';
import type { PriceConfirmation, TripRequest } from '../domain/trip-request';
import { activityOptions } from './activity-options';
import { priceConfirmationUpdate } from './messages';
import { Saga } from './saga';

type Activities = TravelActivities & Pick<OrderActivities, 'authorizePayment' | 'voidPayment' | 'capturePayment'>;
type TripSaga = Saga<Activities>;

export async function tripBooking(input: TripInput): Promise<SagaView<TripResult>> {
  const { trip } = input;
  const local = input.localSteps !== false;
  const saga: TripSaga = new Saga<Activities>({ type: 'trip', tuning: input.tuning, ...activityOptions });
  const confirmation = awaitPriceConfirmation(saga, trip);
  return saga.run(async () => {
    const [flight, hotel, car, rate] = await saga.all([
      () => saga.step('quoteFlight', 'quoteFlight', trip.flight, { local, summary: `Quote ${trip.flight.route} for ${trip.flight.passengers}` }),
      () => saga.step('quoteHotel', 'quoteHotel', trip.hotel, { local, summary: `Quote ${trip.hotel.hotelCode}, ${trip.hotel.nights} nights` }),
      () => saga.step('quoteCar', 'quoteCar', trip.car, { local, summary: `Quote a ${trip.car.carClass} at ${trip.car.pickup}` }),
      () => saga.step('quoteRate', 'quoteRate', { base: trip.currency, currencies: ['USD', 'EUR', 'GBP'] }, { local, summary: `Quote rates into ${trip.currency}` }),
    ] as const);
    const quotes: Record<Leg, LegQuote> = { flight, hotel, car };
    const quotedTotal = totalOf(Legs.map((leg) => quotes[leg].price), rate);
    saga.annotate({ quotedTotal, rate: { quoteId: rate.quoteId, rates: rate.rates, expiresAt: rate.expiresAt } });
    await saga.step('lockRate', 'lockRate', { quoteId: rate.quoteId }, {
      undo: { activity: 'releaseRate', input: { forwardStep: 'lockRate' } },
      summary: `Lock the ${trip.currency} rates for this trip`,
    });

    const holds = new LegHolds(saga, trip);
    await saga.all([() => holds.hold('flight'), () => holds.hold('hotel'), () => holds.hold('car')] as const);
    const total = await confirmation.agree(quotes, holds.prices(), quotedTotal, rate);
    saga.annotate({ total });
    await saga.step('authorizePayment', 'authorizePayment', { amount: total, paymentToken: trip.paymentToken }, {
      undo: { activity: 'voidPayment', input: { forwardStep: 'authorizePayment' } },
      summary: `Authorize ${formatMoney(total)}`,
    });

    const [hotelBooking, carBooking] = await saga.all([
      () => holds.settle('hotel', (n, holdStep) => saga.step(n('confirmHotel'), 'confirmHotel', { forwardStep: holdStep }, {
        undo: { activity: 'cancelHotel', input: { forwardStep: holdStep } },
        summary: `Confirm ${trip.hotel.hotelCode}`,
      })),
      () => holds.settle('car', (n, holdStep) => saga.step(n('confirmCar'), 'confirmCar', { forwardStep: holdStep }, {
        undo: { activity: 'cancelCar', input: { forwardStep: holdStep } },
        summary: `Confirm the ${trip.car.carClass} at ${trip.car.pickup}`,
      })),
    ] as const);
    const ticket = await holds.settle('flight', (n, holdStep) => saga.pivot(n('issueTicket'), 'issueTicket', { forwardStep: holdStep }, `Issue the ticket ${trip.flight.route}`));

    await saga.step('capturePayment', 'capturePayment', { forwardStep: 'authorizePayment' }, { summary: `Capture ${formatMoney(total)}` });
    const result: TripResult = {
      tripId: saga.id,
      total,
      ticketNumber: ticket.ticketNumber,
      hotelConfirmation: hotelBooking.confirmation,
      carConfirmation: carBooking.confirmation,
    };
    await saga.step('sendItinerary', 'sendItinerary', { to: trip.travellerId, data: { ...result, total: formatMoney(total) } }, { local });
    return result;
  });
}

const HOLD_STEPS = {
  flight: { activity: 'holdFlight', undo: 'releaseFlight' },
  hotel: { activity: 'holdHotel', undo: 'releaseHotel' },
  car: { activity: 'holdCar', undo: 'releaseCar' },
} as const;

/** Names a step of the n-th hold of a leg: `confirmHotel`, then `confirmHotel#2` for the hold made again. */
type StepName = (base: string) => string;

/** Each leg's live hold and the step that made it; confirming, ticketing and undoing name the hold by it. */
class LegHolds {
  private readonly live = new Map<Leg, { step: string; hold: LegHold }>();

  constructor(private readonly saga: TripSaga, private readonly trip: TripRequest) {}

  async hold(leg: Leg, round = 1): Promise<LegHold> {
    const { activity, undo } = HOLD_STEPS[leg];
    const step = round === 1 ? activity : `${activity}#${round}`;
    const hold = await this.saga.step(step, activity, this.trip[leg] as never, {
      undo: { activity: undo, input: { forwardStep: step } },
      summary: `Hold the ${leg}${round > 1 ? ' again' : ''}`,
    });
    this.live.set(leg, { step, hold });
    this.saga.annotate({ holds: Object.fromEntries([...this.live].map(([l, h]) => [l, h.hold])) });
    return hold;
  }

  prices(): Record<Leg, LegHold['price']> {
    return { flight: this.live.get('flight')!.hold.price, hotel: this.live.get('hotel')!.hold.price, car: this.live.get('car')!.hold.price };
  }

  /** Confirms or tickets a leg on its live hold; a hold the supplier let lapse is held again, once. */
  async settle<T>(leg: Leg, settle: (name: StepName, holdStep: string) => Promise<T>): Promise<T> {
    const first = this.live.get(leg)!;
    try {
      return await settle((base) => base, first.step);
    } catch (err) {
      if (!lapsed(err)) throw err;
    }
    const again = await this.hold(leg, 2);
    if (movedBeyond(first.hold.price, again.price, this.trip.priceTolerancePercent)) {
      this.saga.reject(FailureType.HoldExpired, `the ${leg} hold lapsed and could only be held again at ${formatMoney(again.price)}, not ${formatMoney(first.hold.price)}`);
    }
    return settle((base) => `${base}#2`, this.live.get(leg)!.step);
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
  setHandler(
    priceConfirmationUpdate,
    ({ accept }) => {
      decision = accept;
      return { accepted: accept };
    },
    {
      validator: (_answer: PriceConfirmation) => {
        if (!awaiting || decision !== null) throw ApplicationFailure.nonRetryable('the saga is not waiting for a price confirmation', FailureType.NotAwaitingConfirmation);
      },
    },
  );

  return {
    /** The total to charge: the held prices, once the traveller has agreed to any move beyond the tolerance. */
    async agree(quotes: Record<Leg, LegQuote>, held: Record<Leg, LegHold['price']>, quotedTotal: Money, rate: LockedRate): Promise<Money> {
      const newTotal = totalOf(Legs.map((leg) => held[leg]), rate);
      const moved = Legs.filter((leg) => movedBeyond(quotes[leg].price, held[leg], trip.priceTolerancePercent)).map((leg) => ({ leg, quoted: quotes[leg].price, held: held[leg] }));
      if (moved.length === 0) return newTotal;
      const ms = trip.priceConfirmationSeconds * 1_000;
      await saga.track('awaitPriceConfirmation', async () => {
        awaiting = { for: 'priceConfirmation', until: new Date(Date.now() + ms).toISOString(), quotedTotal, newTotal, moved };
        saga.annotate({ awaiting });
        try {
          const answered = await condition(() => decision !== null, ms);
          saga.annotate({ priceConfirmation: answered ? (decision ? 'ACCEPTED' : 'REFUSED') : 'TIMED_OUT' });
          if (!answered) saga.reject(FailureType.PriceConfirmationTimeout, `no answer to the new total of ${formatMoney(newTotal)} within ${trip.priceConfirmationSeconds} s`);
          if (!decision) saga.reject(FailureType.PriceRefused, `the traveller refused the new total of ${formatMoney(newTotal)} (quoted ${formatMoney(quotedTotal)})`);
        } finally {
          awaiting = null;
          saga.annotate({ awaiting: null });
        }
      });
      return newTotal;
    },
  };
}
