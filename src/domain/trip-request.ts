import { z } from 'zod';
import { Currencies } from './money';

/** How long a traveller may take, at most and by default, to accept or refuse a moved price. */
export const PRICE_CONFIRMATION_SECONDS = { default: 300, max: 3_600 } as const;

export const TripRequestSchema = z.object({
  travellerId: z.string().min(1).max(64),
  currency: z.enum(Currencies),
  paymentToken: z.string().min(1).max(128),
  /** A hold may cost this much more (or less) than its quote, in percent, before the traveller is asked. */
  priceTolerancePercent: z.number().min(0).max(50).default(5),
  /** How long the saga waits for the traveller to accept or refuse a moved total. */
  priceConfirmationSeconds: z.number().int().min(1).max(PRICE_CONFIRMATION_SECONDS.max).default(PRICE_CONFIRMATION_SECONDS.default),
  flight: z.object({
    route: z.string().regex(/^[A-Z]{3}-[A-Z]{3}$/, 'two IATA airport codes such as BER-LIS'),
    date: z.iso.date(),
    passengers: z.number().int().min(1).max(9),
  }),
  hotel: z.object({
    hotelCode: z.string().regex(/^[A-Z0-9-]{2,32}$/, 'a hotel code such as LIS-ALFAMA'),
    checkIn: z.iso.date(),
    nights: z.number().int().min(1).max(30),
    rooms: z.number().int().min(1).max(5),
  }),
  car: z.object({
    pickup: z.string().regex(/^[A-Z]{3}$/, 'an IATA airport code such as LIS'),
    carClass: z.enum(['compact', 'estate', 'van']),
    days: z.number().int().min(1).max(30),
  }),
});
export type TripRequest = z.infer<typeof TripRequestSchema>;

export const PriceConfirmationSchema = z.object({ accept: z.boolean() });
export type PriceConfirmation = z.infer<typeof PriceConfirmationSchema>;
