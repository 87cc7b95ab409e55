import { z } from 'zod';
import { jsonOutcome } from './flights';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { cancelHold, holdAdmin, holdSeconds, heldPrice, lookUpHold, placeHold, settleHold } from './travel-holds';

/** The car hire company: day rates in GBP by class, at any airport. A hold lasts 30 minutes. */
export const CAR_DAY_RATES: Record<string, number> = { compact: 3_900, estate: 5_600, van: 8_900 };
export const CAR_HOLD_SECONDS = 30 * 60;

const LegSchema = z.object({ pickup: z.string(), carClass: z.string(), days: z.number().int().min(1).max(30) });
const ReferenceSchema = z.object({ reference: z.string().min(1) });

export function carsRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    holdAdmin(service)(router);
    router.read('lookup', '/references/:reference', lookUpHold(service));
    const price = (body: unknown) => {
      const leg = LegSchema.safeParse(body);
      if (!leg.success) return { error: problem(400, 'InvalidRequest', leg.error.message) };
      const rate = CAR_DAY_RATES[leg.data.carClass];
      if (rate === undefined) return { error: problem(422, 'UnknownOffer', `no ${leg.data.carClass} cars`) };
      return { leg: leg.data, amountMinor: rate * leg.data.days };
    };
    router.write('quote', 'POST', '/quotes', ({ body }) => {
      const priced = price(body);
      if (priced.error) return priced.error;
      return ok({ offerId: `car-${priced.leg.pickup}-${priced.leg.carClass}`, amountMinor: priced.amountMinor, currency: 'GBP' }, 201);
    });
    router.write('hold', 'POST', '/holds', ({ body, sagaId, key }) => {
      const priced = price(body);
      if (priced.error) return priced.error;
      const amountMinor = heldPrice(service, sagaId, priced.amountMinor);
      const hold = placeHold(service, sagaId, key, holdSeconds(service, CAR_HOLD_SECONDS), { ...priced.leg, amountMinor, currency: 'GBP' });
      return ok({ holdId: hold.id, amountMinor, currency: 'GBP', expiresAt: hold.expiresAt }, 201);
    });
    router.write('confirm', 'POST', '/confirmations', ({ body, key }) => {
      const ref = ReferenceSchema.safeParse(body);
      if (!ref.success) return problem(400, 'InvalidRequest', 'reference is required');
      const outcome = settleHold(service, ref.data.reference, key, 'CONFIRMED', { confirmation: `CAR-${service.newId('c').slice(2, 12).toUpperCase()}` });
      return jsonOutcome(outcome, (r) => ({ confirmation: r.confirmation, status: r.status }));
    });
    router.write('cancel', 'POST', '/cancellations', ({ body }) => {
      const ref = ReferenceSchema.safeParse(body);
      if (!ref.success) return problem(400, 'InvalidRequest', 'reference is required');
      return jsonOutcome(cancelHold(service, ref.data.reference), (r) => ({ status: r.status }));
    });
  };
}
