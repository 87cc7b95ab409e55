import { z } from 'zod';
import type { Currency, Money } from '../domain/money';
import type { Address, OrderItem } from '../domain/order';
import type { Reference } from '../domain/steps';
import { currentCall, lookUp, referenceTo, type BackendClient, type UndoInput } from './http-client';

export interface OrderClients {
  pricing: BackendClient;
  inventory: BackendClient;
  payments: BackendClient;
  shipping: BackendClient;
  notifications: BackendClient;
}

const QuoteSchema = z.object({ quoteId: z.string(), subtotalMinor: z.number().int(), currency: z.string() });
const ReservationSchema = z.object({ reservationId: z.string(), status: z.literal('HELD') });
const ShippingQuoteSchema = z.object({ amountMinor: z.number().int(), currency: z.string() });
const AuthorizationSchema = z.object({ authorizationId: z.string(), status: z.literal('AUTHORIZED') });
const ShipmentSchema = z.object({ shipmentId: z.string(), status: z.literal('CREATED') });
const TransitionSchema = z.object({ status: z.string() });
const MessageSchema = z.object({ messageId: z.string() });

export function createOrderActivities({ pricing, inventory, payments, shipping, notifications }: OrderClients) {
  return {
    async priceOrder(input: { currency: Currency; items: OrderItem[] }): Promise<{ quoteId: string; subtotal: Money }> {
      const quote = await pricing.postJson('/quotes', input, QuoteSchema, currentCall());
      return { quoteId: quote.quoteId, subtotal: { amountMinor: quote.subtotalMinor, currency: input.currency } };
    },

    async reserveInventory(input: { items: OrderItem[] }): Promise<{ reservationId: string }> {
      const res = await inventory.postJson('/reservations', input, ReservationSchema, currentCall());
      return { reservationId: res.reservationId };
    },

    async releaseInventory(input: UndoInput): Promise<void> {
      await inventory.postJson('/reservations/release', referenceTo(input), TransitionSchema, currentCall());
    },

    async commitInventory(input: UndoInput): Promise<void> {
      await inventory.postJson('/reservations/commit', referenceTo(input), TransitionSchema, currentCall());
    },

    async quoteShipping(input: { currency: Currency; address: Address; units: number }): Promise<Money> {
      const quote = await shipping.postJson('/quotes', input, ShippingQuoteSchema, currentCall());
      return { amountMinor: quote.amountMinor, currency: input.currency };
    },

    async authorizePayment(input: { amount: Money; paymentToken: string }): Promise<{ authorizationId: string }> {
      const body = { amountMinor: input.amount.amountMinor, currency: input.amount.currency, paymentToken: input.paymentToken };
      const auth = await payments.postJson('/authorizations', body, AuthorizationSchema, currentCall());
      return { authorizationId: auth.authorizationId };
    },

    async voidPayment(input: UndoInput): Promise<void> {
      await payments.postJson('/voids', referenceTo(input), TransitionSchema, currentCall());
    },

    /** `amountMinor`: a partial capture (the bikes that left a household checkout); the rest is released. */
    async capturePayment(input: UndoInput & { amountMinor?: number }): Promise<void> {
      const amount = 'amountMinor' in input && input.amountMinor !== undefined ? { amountMinor: input.amountMinor } : {};
      await payments.postJson('/captures', { ...referenceTo(input), ...amount }, TransitionSchema, currentCall());
    },

    async createShipment(input: { address: Address; items: OrderItem[] }): Promise<{ shipmentId: string }> {
      const shipment = await shipping.postJson('/shipments', input, ShipmentSchema, currentCall());
      return { shipmentId: shipment.shipmentId };
    },

    async cancelShipment(input: UndoInput): Promise<void> {
      await shipping.postJson('/cancellations', referenceTo(input), TransitionSchema, currentCall());
    },

    async lookupInventory(input: Reference) {
      return lookUp(inventory, input);
    },

    async lookupPayment(input: Reference) {
      return lookUp(payments, input);
    },

    async lookupShipment(input: Reference) {
      return lookUp(shipping, input);
    },

    async notifyCustomer(input: { to: string; template: string; data: Record<string, unknown> }): Promise<{ messageId: string }> {
      return notifications.postJson('/messages', input, MessageSchema, currentCall());
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
