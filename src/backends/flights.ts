import { z } from 'zod';
import { ok, problem, type BackendService, type OpReply, type ServiceRouter } from './service';
import { cancelHold, holdAdmin, holdSeconds, heldPrice, lookUpHold, placeHold, settleHold, type HoldOutcome } from './travel-holds';

/**
 * The airline: fares in USD per passenger. `CDG-NRT` jumps 20% between quote and hold, `AMS-OSL` 3%
 * (inside a 5% tolerance). A hold lasts 20 minutes; ticketing it is final.
 */
export const FLIGHT_ROUTES: Record<string, { fareMinor: number; jumpPercent?: number }> = {
  'BER-LIS': { fareMinor: 18_900 },
  'LIS-BER': { fareMinor: 17_900 },
  'LHR-JFK': { fareMinor: 42_000 },
  'AMS-OSL': { fareMinor: 15_000, jumpPercent: 3 },
  'CDG-NRT': { fareMinor: 78_000, jumpPercent: 20 },
};
export const FLIGHT_HOLD_SECONDS = 20 * 60;

const LegSchema = z.object({ route: z.string(), date: z.string(), passengers: z.number().int().min(1).max(9) });
const ReferenceSchema = z.object({ reference: z.string().min(1) });

export function jsonOutcome(outcome: HoldOutcome, body: (r: Record<string, unknown>) => unknown): OpReply {
  return outcome.ok ? ok(body(outcome.record)) : problem(outcome.status, outcome.code, outcome.detail);
}

export function flightsRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    holdAdmin(service)(router);
    router.read('lookup', '/references/:reference', lookUpHold(service));
    router.write('quote', 'POST', '/quotes', ({ body }) => {
      const leg = LegSchema.safeParse(body);
      if (!leg.success) return problem(400, 'InvalidRequest', leg.error.message);
      const route = FLIGHT_ROUTES[leg.data.route];
      if (!route) return problem(422, 'UnknownOffer', `no flights on ${leg.data.route}`);
      return ok({ offerId: `fl-${leg.data.route}-${leg.data.date}`, amountMinor: route.fareMinor * leg.data.passengers, currency: 'USD' }, 201);
    });
    router.write('hold', 'POST', '/holds', ({ body, sagaId, key }) => {
      const leg = LegSchema.safeParse(body);
      if (!leg.success) return problem(400, 'InvalidRequest', leg.error.message);
      const route = FLIGHT_ROUTES[leg.data.route];
      if (!route) return problem(422, 'UnknownOffer', `no flights on ${leg.data.route}`);
      const amountMinor = heldPrice(service, sagaId, Math.round(route.fareMinor * leg.data.passengers * (1 + (route.jumpPercent ?? 0) / 100)));
      const hold = placeHold(service, sagaId, key, holdSeconds(service, FLIGHT_HOLD_SECONDS), { ...leg.data, amountMinor, currency: 'USD' });
      return ok({ holdId: hold.id, amountMinor, currency: 'USD', expiresAt: hold.expiresAt }, 201);
    });
    router.write('ticket', 'POST', '/tickets', ({ body, key }) => {
      const ref = ReferenceSchema.safeParse(body);
      if (!ref.success) return problem(400, 'InvalidRequest', 'reference is required');
      const outcome = settleHold(service, ref.data.reference, key, 'TICKETED', { ticketNumber: `TKT-${service.newId('t').slice(2, 14).toUpperCase()}` });
      return jsonOutcome(outcome, (r) => ({ ticketNumber: r.ticketNumber, status: r.status }));
    });
    router.write('release', 'POST', '/holds/release', ({ body }) => {
      const ref = ReferenceSchema.safeParse(body);
      if (!ref.success) return problem(400, 'InvalidRequest', 'reference is required');
      return jsonOutcome(cancelHold(service, ref.data.reference), (r) => ({ status: r.status }));
    });
  };
}
