/**
 * The trip's activities as plain functions for workflow tests: defaults that succeed, `overrides` per
 * activity (given the input and how many times it was called), and every call seen with its step and key.
 */
import { currentCall } from '../../src/activities/http-client';
import { mockActivities } from './workflow-env';

export type Behaviour = (input: any, round: number) => Promise<unknown>;

/** One activity call as the engine made it: the step and key it passed. */
export interface SeenCall {
  activity: string;
  step: string;
  key: string;
  input: unknown;
}

export function mockTravel(overrides: Record<string, Behaviour>) {
  const seen: SeenCall[] = [];
  const calls = new Map<string, number>();
  const ok = (value: unknown): Behaviour => async () => value;
  const hold = (amountMinor: number): Behaviour => ok({ holdId: 'h', price: { amountMinor, currency: 'EUR' }, expiresAt: '2030-01-01T00:00:00.000Z' });
  const defaults: Record<string, Behaviour> = {
    quoteFlight: ok({ offerId: 'f', price: { amountMinor: 10_000, currency: 'EUR' } }),
    quoteHotel: ok({ offerId: 'h', price: { amountMinor: 20_000, currency: 'EUR' } }),
    quoteCar: ok({ offerId: 'c', price: { amountMinor: 5_000, currency: 'EUR' } }),
    quoteRate: ok({ quoteId: 'q', base: 'EUR', rates: { EUR: 1, USD: 1, GBP: 1 }, expiresAt: '2030-01-01T00:00:00.000Z' }),
    lockRate: ok({ lockId: 'l' }),
    holdFlight: hold(10_000),
    holdHotel: hold(20_000),
    holdCar: hold(5_000),
    authorizePayment: ok({ authorizationId: 'a' }),
    confirmHotel: ok({ confirmation: 'HTL-1' }),
    confirmCar: ok({ confirmation: 'CAR-1' }),
    issueTicket: ok({ ticketNumber: 'TKT-1' }),
    capturePayment: ok(undefined),
    sendItinerary: ok({ messageId: 'm' }),
    sendAlert: ok(undefined),
    lookupFlight: ok({ found: true, status: 'HELD', result: null }),
    lookupHotel: ok({ found: true, status: 'HELD', result: null }),
    lookupCar: ok({ found: true, status: 'HELD', result: null }),
    lookupRate: ok({ found: true, status: 'LOCKED', result: null }),
    lookupPayment: ok({ found: true, status: 'AUTHORIZED', result: null }),
  };
  for (const undo of ['releaseRate', 'releaseFlight', 'releaseHotel', 'releaseCar', 'cancelHotel', 'cancelCar', 'voidPayment']) defaults[undo] = ok(undefined);
  const impls: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    impls[name] = async (input: unknown) => {
      const call = currentCall();
      seen.push({ activity: name, step: call.step, key: call.key, input });
      const round = (calls.get(name) ?? 0) + 1;
      calls.set(name, round);
      return (overrides[name] ?? fallback)(input, round);
    };
  }
  const count = (activity: string) => seen.filter((c) => c.activity === activity).length;
  return { activities: mockActivities(impls).activities, seen, count };
}
