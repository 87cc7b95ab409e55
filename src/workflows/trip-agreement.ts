/**
 * trip-agreed-total: the traveller pays the total they agreed to, once.
 *
 *   agreed ........ the total the traveller last agreed to: the quote, or a new total they accepted
 *   reprice ....... every change to what is held (the first holds, a hold taken again) recomputes the total;
 *                   beyond the tolerance of the agreed total it is put to the traveller, who accepts it
 *                   (the new agreed total) or not (the saga compensates)
 *   authorize ..... the total once; a later, larger total authorizes the difference (authorizePayment#2 ...)
 *   capture ....... exactly the total of what was confirmed at the locked rate, taken from the
 *                   authorizations in order; a capture below an authorization releases the rest
 */
import { condition } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/order-activities';
import type { TravelActivities } from '../activities/travel-activities';
import { formatMoney, type Money } from '../domain/money';
import { Legs, movedBeyond, totalOf, type Leg, type LockedRate, type SupplierPrice } from '../domain/trip';
import type { TripRequest } from '../domain/trip-request';
import type { Saga } from './saga';
import type { StepDecls } from './steps';

type Activities = TravelActivities & Pick<OrderActivities, 'authorizePayment' | 'voidPayment' | 'capturePayment' | 'lookupPayment'>;
type TripSaga = Saga<Activities, StepDecls<Activities>>;

export type Prices = Record<Leg, SupplierPrice>;
export type Moved = Array<{ leg: Leg; quoted: SupplierPrice; held: SupplierPrice }>;
/** Asks the traveller about `newTotal` against `agreedTotal` (round 1, 2, ...); ends the saga on a refusal or no answer. */
export type Ask = (agreedTotal: Money, newTotal: Money, moved: Moved, round: number) => Promise<void>;

export class Agreement {
  private agreed: { total: Money; prices: Prices };
  private readonly authorized: Array<{ unit: number | undefined; amount: Money }> = [];
  private rounds = 0;
  private busy = false;
  total: Money;

  constructor(
    private readonly saga: TripSaga,
    private readonly trip: TripRequest,
    private readonly rate: LockedRate,
    quoted: { total: Money; prices: Prices },
    private readonly ask: Ask,
  ) {
    this.agreed = quoted;
    this.total = quoted.total;
  }

  /** What is held changed: the new total, put to the traveller beyond the tolerance, and authorized if larger. */
  async reprice(held: Prices): Promise<Money> {
    // Two legs held again side by side (hotel and car) ask and authorize one after the other.
    await condition(() => !this.busy);
    this.busy = true;
    try {
      const total = totalOf(Legs.map((leg) => held[leg]), this.rate);
      if (movedBeyond(this.agreed.total, total, this.trip.priceTolerancePercent)) {
        const moved = Legs.filter((leg) => held[leg].amountMinor !== this.agreed.prices[leg].amountMinor).map((leg) => ({ leg, quoted: this.agreed.prices[leg], held: held[leg] }));
        this.rounds += 1;
        await this.ask(this.agreed.total, total, moved, this.rounds);
        this.agreed = { total, prices: { ...held } };
      }
      this.total = total;
      this.show(held);
      if (this.authorized.length > 0) await this.authorizeMore();
      return total;
    } finally {
      this.busy = false;
    }
  }

  async authorize(): Promise<void> {
    await this.saga.step('authorizePayment', { amount: this.total, paymentToken: this.trip.paymentToken });
    this.authorized.push({ unit: undefined, amount: this.total });
  }

  /** Captures the total of what was confirmed, from the authorizations in order. */
  async capture(): Promise<void> {
    let left = this.total.amountMinor;
    for (const { unit, amount } of this.authorized) {
      const take = Math.min(left, amount.amountMinor);
      left -= take;
      const summary = `Capture ${formatMoney({ ...amount, amountMinor: take })}`;
      await this.saga.step('capturePayment', { ...this.saga.referenceOf('authorizePayment', unit), amountMinor: take }, { unit, summary });
    }
  }

  private async authorizeMore(): Promise<void> {
    const authorizedMinor = this.authorized.reduce((sum, a) => sum + a.amount.amountMinor, 0);
    if (this.total.amountMinor <= authorizedMinor) return;
    const amount = { ...this.total, amountMinor: this.total.amountMinor - authorizedMinor };
    const unit = this.authorized.length + 1;
    await this.saga.step('authorizePayment', { amount, paymentToken: this.trip.paymentToken }, { unit, summary: `Authorize ${formatMoney(amount)} more` });
    this.authorized.push({ unit, amount });
  }

  private show(held: Prices): void {
    const legs = Object.fromEntries(Legs.map((leg) => [leg, { agreed: this.agreed.prices[leg], held: held[leg] }]));
    this.saga.annotate({ legs, agreedTotal: this.agreed.total, total: this.total });
  }
}
