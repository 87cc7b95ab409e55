import { z } from 'zod';
import type { Money } from './money';
import type { SagaTuning } from './saga';

export const CredentialsSchema = z.object({
  documentNumber: z.string().regex(/^[A-Z]\d{7}$/, 'a letter and 7 digits, as on the card, such as D1234567'),
  issuingRegion: z.string().trim().min(2).max(64),
  dateOfBirth: z.iso.date(),
});
export type Credentials = z.infer<typeof CredentialsSchema>;

export const BikeCheckoutRequestSchema = z.object({
  kioskId: z.string().regex(/^[a-z0-9-]{1,64}$/),
  bikes: z.number().int().min(1).max(10),
  credentials: CredentialsSchema,
  paymentToken: z.string().min(1).max(128).optional(),
});
export type BikeCheckoutRequest = z.infer<typeof BikeCheckoutRequestSchema>;

export const BikeSensedSchema = z.object({ bikeId: z.string().min(1).max(64) });

export const BikeStatuses = ['ON_ITS_WAY', 'IN_BAY', 'DOOR_OPEN', 'RETURNED'] as const;
export type BikeStatus = (typeof BikeStatuses)[number];

export interface BikeView {
  bikeId: string;
  bay: number;
  status: BikeStatus;
}

/** What the workflow receives: never the credentials in clear, only the package the ID service can open. */
export interface BikeCheckoutInput {
  kioskId: string;
  bikes: number;
  credentialsPackage: string;
  paymentToken: string | null;
  sensorTimeoutMs: number;
  visitorMaxBikes: number;
  feePerBike: Money;
  tuning: SagaTuning;
}

/**
 * COMPLETED: at least one bike left with its rider and its fee was captured. `bikes` are the bikes that
 * left, `fee` what was charged for them. `partial: true` when fewer bikes left than were asked: a later bike
 * failed (`stopped` says why) and was given back (`returned`), and the rest of the authorization was
 * released. Sagas started before the bike-doors patch have no `partial`, `returned` or `stopped`.
 */
export interface BikeCheckoutResult {
  residentStatus: 'LOCAL' | 'VISITOR';
  bikes: Array<{ bikeId: string; bay: number; conditionRecordId: string }>;
  fee: Money;
  partial?: boolean;
  returned?: string[];
  stopped?: { type: string; message: string } | null;
}
