import type { Ticket } from './load';

function tripMix(i: number) {
  const hotelCode = i % 20 < 10 ? 'LIS-ALFAMA' : 'PAR-OPERA';
  return {
    travellerId: `chaos-${i}`,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    flight: { route: 'BER-LIS', date: '2027-05-01', passengers: 1 },
    hotel: { hotelCode, checkIn: '2027-05-01', nights: 2, rooms: 1 },
    car: { pickup: 'LIS', carClass: 'compact', days: 2 },
  };
}

const address = { name: 'Chaos Monkey', line1: '1 Fault Lane', city: 'Berlin', postalCode: '10115', country: 'DE' };
export const CHAOS_KIOSK = 'kiosk-chaos';
export const CHAOS_SECTIONS = ['chaos-sec-a', 'chaos-sec-b'];

/**
 * The i-th saga of the mixed load: five orders in ten (one of them declined), a trip (every other one
 * at a sold-out hotel, so it compensates), two bike checkouts (one whose bike the sensor never sees, so
 * it times out and compensates), two class registrations.
 */
export function sagaMix(i: number, ticket: (kind: string, path: string, body: unknown) => Ticket): Ticket {
  const slot = i % 10;
  if (slot === 5) return ticket('trip', '/v1/trips', tripMix(i));
  if (slot <= 4) {
    return ticket('order', '/v1/orders', {
      customerId: `chaos-${i}`,
      currency: 'EUR',
      items: [{ sku: 'book-001', quantity: 1 + (i % 3) }],
      paymentToken: slot === 4 ? 'tok_declined' : 'tok_visa',
      shippingAddress: address,
    });
  }
  if (slot <= 7) {
    const t = ticket('bike-checkout', '/v1/bike-checkouts', {
      kioskId: CHAOS_KIOSK,
      bikes: 1,
      credentials: { documentNumber: `V${String(5_000_000 + i).padStart(7, '0')}`, issuingRegion: 'Elsewhere', dateOfBirth: '1990-01-01' },
      paymentToken: 'tok_visa',
    });
    t.sense = slot === 6;
    return t;
  }
  return ticket('class-registration', '/v1/class-registrations', { studentId: `s-${7000 + i}`, sectionId: CHAOS_SECTIONS[slot % 2] });
}
