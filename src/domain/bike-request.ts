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

export interface BikeCheckoutResult {
  residentStatus: 'LOCAL' | 'VISITOR';
  bikes: Array<{ bikeId: string; bay: number; conditionRecordId: string }>;
  fee: Money;
}
