import { api, Scenario } from './scenarios';
import type { BenchStack } from './stack';

export function tripBody() {
  return {
    travellerId: 'bench',
    currency: 'EUR',
    paymentToken: 'tok_visa',
    flight: { route: 'BER-LIS', date: '2027-05-01', passengers: 1 },
    hotel: { hotelCode: 'LIS-ALFAMA', checkIn: '2027-05-01', nights: 2, rooms: 1 },
    car: { pickup: 'LIS', carClass: 'compact', days: 2 },
  };
}

/** Trips booked through the API, start to end (`Prefer: wait`): four quotes, a rate lock, three holds, the XML hotel. */
export function tripThroughApi(stack: BenchStack, concurrency: number, maxSeconds: number): Scenario {
  return new Scenario(stack, `trip-c${concurrency}`, concurrency, maxSeconds, async (_i, m) => {
    const t0 = performance.now();
    const view = await api(stack, 'POST', '/v1/trips', tripBody(), { prefer: 'wait=60' });
    if (view.status !== 'COMPLETED') throw new Error(`trip ${view.id} ended ${view.status}`);
    m.latency.record(performance.now() - t0);
    m.ids.push(view.id);
  });
}
