import type { Currency, Money } from './money';
import type { SagaTuning } from './saga';
import type { TripRequest } from './trip-request';

export const Legs = ['flight', 'hotel', 'car'] as const;
export type Leg = (typeof Legs)[number];

/** A supplier's price for one leg, in the supplier's own currency. */
export interface SupplierPrice {
  amountMinor: number;
  currency: Currency;
}

export interface LegQuote {
  offerId: string;
  price: SupplierPrice;
}

export interface LegHold {
  holdId: string;
  price: SupplierPrice;
  /** When the supplier lets the hold lapse (ISO time), as the supplier stated it. */
  expiresAt: string;
}

/** Units of the traveller's currency per unit of each supplier currency, fixed for the whole saga. */
export interface LockedRate {
  quoteId: string;
  base: Currency;
  rates: Record<Currency, number>;
  expiresAt: string;
}

/** What the saga waits for, shown in the view while it waits. */
export interface Awaiting {
  for: 'priceConfirmation';
  until: string;
  quotedTotal: Money;
  newTotal: Money;
  moved: Array<{ leg: Leg; quoted: SupplierPrice; held: SupplierPrice }>;
}

export interface TripInput {
  trip: TripRequest;
  localSteps?: boolean;
  tuning: SagaTuning;
}

export interface TripResult {
  tripId: string;
  total: Money;
  /** Null when an operator resolved the ticket by hand. */
  ticketNumber: string | null;
  hotelConfirmation: string;
  carConfirmation: string;
}

export function convert(price: SupplierPrice, rate: LockedRate): Money {
  return { amountMinor: Math.round(price.amountMinor * rate.rates[price.currency]), currency: rate.base };
}

export function totalOf(prices: SupplierPrice[], rate: LockedRate): Money {
  return { amountMinor: prices.reduce((sum, p) => sum + convert(p, rate).amountMinor, 0), currency: rate.base };
}

/** True when `held` is further from `quoted` than the traveller's tolerance allows. */
export function movedBeyond(quoted: SupplierPrice, held: SupplierPrice, tolerancePercent: number): boolean {
  return Math.abs(held.amountMinor - quoted.amountMinor) * 100 > quoted.amountMinor * tolerancePercent;
}
