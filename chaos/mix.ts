import type { Ticket } from './load';

const address = { name: 'Chaos Monkey', line1: '1 Fault Lane', city: 'Berlin', postalCode: '10115', country: 'DE' };

/** The i-th saga of the mixed load: orders, a fifth of them declined. */
export function sagaMix(i: number, ticket: (kind: string, path: string, body: unknown) => Ticket): Ticket {
  const declined = i % 5 === 4;
  return ticket('order', '/v1/orders', {
    customerId: `chaos-${i}`,
    currency: 'EUR',
    items: [{ sku: 'book-001', quantity: 1 + (i % 3) }],
    paymentToken: declined ? 'tok_declined' : 'tok_visa',
    shippingAddress: address,
  });
}
