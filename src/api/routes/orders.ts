import type { FastifyInstance } from 'fastify';
import { OrderRequestSchema, type OrderRequest } from '../../domain/order';
import type { SagaTuning } from '../../domain/saga';
import type { SagaGateway } from '../saga-gateway';
import { registerSagaRoute } from './start-saga';

export interface OrderRouteOptions {
  orderDeadlineMs: number;
  localSteps: boolean;
  localHolds?: boolean;
  localPivot?: boolean;
  tuning: SagaTuning;
}

export function orderRoutes(app: FastifyInstance, gateway: SagaGateway, options: OrderRouteOptions): void {
  registerSagaRoute(app, gateway, {
    path: '/v1/orders',
    type: 'order',
    workflow: 'orderCheckout',
    schema: OrderRequestSchema,
    operationId: 'startOrder',
    summary: 'Start an order checkout',
    description: 'Start an order checkout: price, reserve, authorize, ship, capture; compensated if a step fails for good.',
    example: {
      customerId: 'c-42',
      currency: 'EUR',
      items: [{ sku: 'book-001', quantity: 2 }, { sku: 'lamp-002', quantity: 1 }],
      paymentToken: 'tok_visa',
      shippingAddress: { name: 'Ada Lovelace', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
    },
    toInput: (order: OrderRequest) => ({ order, deadlineMs: options.orderDeadlineMs, localSteps: options.localSteps, localHolds: options.localHolds === true, localPivot: options.localPivot === true, tuning: options.tuning }),
    businessKeys: (order: OrderRequest) => ({ customer: order.customerId }),
    runSummary: (order: OrderRequest) => {
      const units = order.items.reduce((sum, item) => sum + item.quantity, 0);
      return `Order for ${order.customerId}: ${units} item${units === 1 ? '' : 's'} in ${order.currency}, to ${order.shippingAddress.country}`;
    },
  });
}
