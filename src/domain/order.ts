import { z } from 'zod';
import { Currencies, type Money } from './money';

export const AddressSchema = z.object({
  name: z.string().trim().min(1).max(200),
  line1: z.string().trim().min(1).max(200),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code such as DE'),
});
export type Address = z.infer<typeof AddressSchema>;

export const OrderItemSchema = z.object({
  sku: z.string().min(1).max(64),
  quantity: z.number().int().min(1).max(100),
});
export type OrderItem = z.infer<typeof OrderItemSchema>;

export const OrderRequestSchema = z.object({
  customerId: z.string().min(1).max(64),
  currency: z.enum(Currencies),
  items: z.array(OrderItemSchema).min(1).max(50),
  paymentToken: z.string().min(1).max(128),
  shippingAddress: AddressSchema,
});
export type OrderRequest = z.infer<typeof OrderRequestSchema>;

/** What the order workflow receives: the request plus what the API decided for it. */
export interface OrderInput {
  order: OrderRequest;
  /** The saga compensates if it has not reached its pivot by then. */
  deadlineMs: number;
  /** Short idempotent steps as local activities (faster) or as activities (each visible in the UI). */
  localSteps?: boolean;
  /** The stock, payment and shipment holds as local activities too (SAGAWAY_LOCAL_HOLDS, development only). */
  localHolds?: boolean;
  /** The capture and every hold but the last as local activities (SAGAWAY_LOCAL_PIVOT, development only). */
  localPivot?: boolean;
}

export interface OrderResult {
  orderId: string;
  total: Money;
  shipmentId: string;
}
