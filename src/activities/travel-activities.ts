import { z } from 'zod';
import { Currencies, type Currency } from '../domain/money';
import type { LegHold, LegQuote, LockedRate } from '../domain/trip';
import type { TripRequest } from '../domain/trip-request';
import type { Reference } from '../domain/steps';
import { currentCall, lookUp, type BackendClient } from './http-client';
import type { OtaHotelClient } from './ota-hotel-client';

export interface TravelClients {
  flights: BackendClient;
  cars: BackendClient;
  fx: BackendClient;
  notifications: BackendClient;
  hotels: OtaHotelClient;
}

const Price = { amountMinor: z.number().int().nonnegative(), currency: z.enum(Currencies) };
const QuoteSchema = z.object({ offerId: z.string().min(1), ...Price });
const HoldSchema = z.object({ holdId: z.string().min(1), ...Price, expiresAt: z.iso.datetime() });
const RateSchema = z.object({ quoteId: z.string().min(1), base: z.enum(Currencies), rates: z.record(z.enum(Currencies), z.number().positive()), expiresAt: z.iso.datetime() });
const LockSchema = z.object({ lockId: z.string(), status: z.literal('LOCKED') });
const TicketSchema = z.object({ ticketNumber: z.string().min(1), status: z.literal('TICKETED') });
const ConfirmationSchema = z.object({ confirmation: z.string().min(1), status: z.literal('CONFIRMED') });
const TransitionSchema = z.object({ status: z.string() });
const MessageSchema = z.object({ messageId: z.string() });

const quoteOf = (q: z.infer<typeof QuoteSchema>): LegQuote => ({ offerId: q.offerId, price: { amountMinor: q.amountMinor, currency: q.currency } });
const holdOf = (h: z.infer<typeof HoldSchema>): LegHold => ({ holdId: h.holdId, price: { amountMinor: h.amountMinor, currency: h.currency }, expiresAt: h.expiresAt });

/**
 * The travel suppliers, the currency desk and the itinerary mail. Undos, confirmations and the ticket name
 * the hold (or booking) by the key of the call that made it; the look-ups ask what became of a call.
 */
export function createTravelActivities({ flights, hotels, cars, fx, notifications }: TravelClients) {
  return {
    async quoteFlight(input: TripRequest['flight']): Promise<LegQuote> {
      return quoteOf(await flights.postJson('/quotes', input, QuoteSchema, currentCall()));
    },
    async quoteHotel(input: TripRequest['hotel']): Promise<LegQuote> {
      return hotels.quote(input, currentCall());
    },
    async quoteCar(input: TripRequest['car']): Promise<LegQuote> {
      return quoteOf(await cars.postJson('/quotes', input, QuoteSchema, currentCall()));
    },

    async quoteRate(input: { base: Currency; currencies: Currency[] }): Promise<LockedRate> {
      return fx.postJson('/quotes', input, RateSchema, currentCall()) as Promise<LockedRate>;
    },
    async lockRate(input: { quoteId: string }): Promise<{ lockId: string }> {
      return fx.postJson('/locks', input, LockSchema, currentCall());
    },
    async releaseRate(input: Reference): Promise<void> {
      await fx.postJson('/locks/release', { reference: input.reference }, TransitionSchema, currentCall());
    },

    async holdFlight(input: TripRequest['flight']): Promise<LegHold> {
      return holdOf(await flights.postJson('/holds', input, HoldSchema, currentCall()));
    },
    async releaseFlight(input: Reference): Promise<void> {
      await flights.postJson('/holds/release', { reference: input.reference }, TransitionSchema, currentCall());
    },
    async issueTicket(input: Reference): Promise<{ ticketNumber: string }> {
      const ticket = await flights.postJson('/tickets', { reference: input.reference }, TicketSchema, currentCall());
      return { ticketNumber: ticket.ticketNumber };
    },

    async holdHotel(input: TripRequest['hotel']): Promise<LegHold> {
      return hotels.hold(input, currentCall());
    },
    async releaseHotel(input: Reference): Promise<void> {
      await hotels.cancel(input.reference, currentCall());
    },
    async confirmHotel(input: Reference): Promise<{ confirmation: string }> {
      return hotels.confirm(input.reference, currentCall());
    },
    async cancelHotel(input: Reference): Promise<void> {
      await hotels.cancel(input.reference, currentCall());
    },

    async holdCar(input: TripRequest['car']): Promise<LegHold> {
      return holdOf(await cars.postJson('/holds', input, HoldSchema, currentCall()));
    },
    async releaseCar(input: Reference): Promise<void> {
      await cars.postJson('/cancellations', { reference: input.reference }, TransitionSchema, currentCall());
    },
    async confirmCar(input: Reference): Promise<{ confirmation: string }> {
      const booking = await cars.postJson('/confirmations', { reference: input.reference }, ConfirmationSchema, currentCall());
      return { confirmation: booking.confirmation };
    },
    async cancelCar(input: Reference): Promise<void> {
      await cars.postJson('/cancellations', { reference: input.reference }, TransitionSchema, currentCall());
    },

    async lookupFlight(input: Reference) {
      return lookUp(flights, input);
    },
    async lookupHotel(input: Reference) {
      return hotels.lookup(input.reference, currentCall());
    },
    async lookupCar(input: Reference) {
      return lookUp(cars, input);
    },
    async lookupRate(input: Reference) {
      return lookUp(fx, input);
    },

    async sendItinerary(input: { to: string; data: Record<string, unknown> }): Promise<{ messageId: string }> {
      return notifications.postJson('/messages', { to: input.to, template: 'trip-itinerary', data: input.data }, MessageSchema, currentCall());
    },
  };
}

export type TravelActivities = ReturnType<typeof createTravelActivities>;
