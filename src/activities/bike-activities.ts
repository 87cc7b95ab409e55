import { z } from 'zod';
import type { Reference } from '../domain/steps';
import { currentCall, lookUp, referenceTo, type BackendClient, type UndoInput } from './http-client';
import type { OrderActivities } from './order-activities';
import type { StorageClient } from './storage-client';

export interface BikeClients {
  idcheck: BackendClient;
  storage: StorageClient;
  bikes: BackendClient;
  kiosk: BackendClient;
}

const VerificationSchema = z.object({
  verificationId: z.string(),
  residentStatus: z.enum(['LOCAL', 'VISITOR']),
  householdSize: z.number().int().positive(),
});
const CheckoutSchema = z.object({ checkoutId: z.string(), status: z.literal('CHECKED_OUT') });
const ConditionSchema = z.object({ conditionRecordId: z.string() });
const DoorSchema = z.object({ status: z.literal('OPEN') });
const TransitionSchema = z.object({ status: z.string() });
const NoticeSchema = z.object({ noticeId: z.string() });

export type Verification = z.infer<typeof VerificationSchema>;

export function createBikeActivities({ idcheck, storage, bikes, kiosk }: BikeClients) {
  return {
    /** Sends the sealed credentials package; only the ID service can open it. */
    async verifyRider(input: { credentialsPackage: string }): Promise<Verification> {
      return idcheck.postJson('/verifications', { package: input.credentialsPackage }, VerificationSchema, currentCall());
    },

    async reserveBike(input: { kioskId: string; verificationId: string }): Promise<{ bikeId: string; bay: number }> {
      const answer = await storage.reserveBike(input.kioskId, input.verificationId, currentCall());
      return { bikeId: answer.BikeId, bay: answer.Bay };
    },

    async returnBike(input: UndoInput): Promise<void> {
      await storage.returnBike(referenceTo(input).reference, currentCall());
    },

    async notifyRider(input: { kioskId: string; message: string }): Promise<void> {
      await kiosk.postJson('/notifications', input, NoticeSchema, currentCall());
    },

    async checkOutBike(input: { bikeId: string; kioskId: string }): Promise<void> {
      await bikes.postJson('/checkouts', input, CheckoutSchema, currentCall());
    },

    async checkInBike(input: UndoInput): Promise<void> {
      await bikes.postJson('/checkins', referenceTo(input), TransitionSchema, currentCall());
    },

    async lookupBikeMove(input: Reference) {
      return lookUp(storage.http, input);
    },

    async lookupCheckout(input: Reference) {
      return lookUp(bikes, input);
    },

    /** Triggers the kiosk camera; the snapshot is stored with the remote management service. */
    async recordCondition(input: { bikeId: string; kioskId: string }): Promise<{ conditionRecordId: string }> {
      return bikes.postJson('/conditions', input, ConditionSchema, currentCall());
    },

    async openDoor(input: { kioskId: string; bay: number; bikeId: string }): Promise<void> {
      await kiosk.postJson('/doors', input, DoorSchema, currentCall());
    },
  };
}

export type BikeActivities = ReturnType<typeof createBikeActivities>;

/** The visitor's fee: the payment service's authorize, void and capture, as the bike saga's own steps. */
export function createFeeActivities(payments: Pick<OrderActivities, 'authorizePayment' | 'voidPayment' | 'capturePayment' | 'lookupPayment'>) {
  return {
    authorizeFee: payments.authorizePayment,
    voidFee: payments.voidPayment,
    captureFee: payments.capturePayment,
    lookupFee: payments.lookupPayment,
  };
}

export type FeeActivities = ReturnType<typeof createFeeActivities>;
