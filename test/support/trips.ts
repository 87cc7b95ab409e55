import assert from 'node:assert/strict';
import { call, waitForView } from './http';

export function tripBody(overrides: Record<string, unknown> = {}) {
  return {
    travellerId: 't-ada',
    currency: 'EUR',
    paymentToken: 'tok_visa',
    priceTolerancePercent: 5,
    flight: { route: 'BER-LIS', date: '2027-05-01', passengers: 1 },
    hotel: { hotelCode: 'LIS-ALFAMA', checkIn: '2027-05-01', nights: 3, rooms: 1 },
    car: { pickup: 'LIS', carClass: 'compact', days: 3 },
    ...overrides,
  };
}

/** The route whose fare jumps 20% between quote and hold: the saga asks the traveller. */
export const JUMPING_FLIGHT = { route: 'CDG-NRT', date: '2027-06-10', passengers: 1 };

/** Starts a trip whose price moves and waits until its view says it waits for the traveller. */
export async function tripAwaitingConfirmation(apiUrl: string, overrides: Record<string, unknown> = {}, orEnded = false): Promise<Record<string, any>> {
  const started = await call(apiUrl, 'POST', '/v1/trips', { body: tripBody({ flight: JUMPING_FLIGHT, ...overrides }) });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  // `orEnded`: a window short enough to close before a poll on a loaded machine sees the saga waiting.
  return waitForView(apiUrl, started.body.id, (v) => (v.awaiting !== null && v.awaiting !== undefined) || (orEnded && v.status !== 'RUNNING'));
}

export async function confirmPrice(apiUrl: string, sagaId: string, accept: boolean) {
  return call(apiUrl, 'POST', `/v1/sagas/${sagaId}/price-confirmation`, { body: { accept }, prefer: 'wait=30' });
}

export async function steerSupplier(backendsUrl: string, service: string, path: string, method: 'POST' | 'DELETE', body?: unknown): Promise<void> {
  const res = await fetch(`${backendsUrl}/${service}/_admin${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());
}
