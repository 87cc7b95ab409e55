export function orderBody(overrides: Record<string, unknown> = {}) {
  return {
    customerId: 'c-42',
    currency: 'EUR',
    items: [
      { sku: 'book-001', quantity: 2 },
      { sku: 'lamp-002', quantity: 1 },
    ],
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'Berlin', postalCode: '10115', country: 'DE' },
    ...overrides,
  };
}
