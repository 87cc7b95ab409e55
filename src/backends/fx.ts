import { z } from 'zod';
import { RATES } from './catalog';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { lookUpByReference, undoByReference } from './undo';

/** A quoted rate holds for a minute; a lock keeps it for the saga until it is released. */
export const FX_QUOTE_SECONDS = 60;

const QuoteSchema = z.object({ base: z.string(), currencies: z.array(z.string()).min(1).max(10) });
const LockSchema = z.object({ quoteId: z.string().min(1) });

/** Units of `base` per unit of `from`, from the same euro rates the order backends use. */
function rate(from: string, base: string): number {
  return Math.round((RATES[base]! / RATES[from]!) * 1e6) / 1e6;
}

export function fxRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('quote', 'POST', '/quotes', ({ body, sagaId, key }) => {
      const parsed = QuoteSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const { base, currencies } = parsed.data;
      const unknown = [base, ...currencies].find((c) => RATES[c] === undefined);
      if (unknown) return problem(422, 'UnsupportedCurrency', `currency ${unknown} is not supported`);
      const rates = Object.fromEntries(currencies.map((c) => [c, rate(c, base)]));
      const expiresAt = new Date(Date.now() + FX_QUOTE_SECONDS * 1_000).toISOString();
      const quote = service.save({ id: service.newId('fxq'), kind: 'rate-quote', sagaId, status: 'QUOTED', reference: key, base, rates, expiresAt });
      return ok({ quoteId: quote.id, base, rates, expiresAt }, 201);
    });
    router.write('lock', 'POST', '/locks', ({ body, sagaId, key }) => {
      const parsed = LockSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const quote = service.records.get(parsed.data.quoteId);
      if (!quote || quote.kind !== 'rate-quote') return problem(404, 'NotFound', `no rate quote ${parsed.data.quoteId}`);
      if (Date.parse(String(quote.expiresAt)) <= Date.now()) return problem(409, 'RateExpired', `rate quote ${quote.id} expired at ${String(quote.expiresAt)}`);
      const lock = service.save({ id: service.newId('fxl'), kind: 'rate-lock', sagaId, status: 'LOCKED', reference: key, quoteId: quote.id, base: quote.base, rates: quote.rates });
      return ok({ lockId: lock.id, status: lock.status }, 201);
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
    router.write('release', 'POST', '/locks/release', ({ body }) =>
      undoByReference(service, body, { from: ['LOCKED'], to: 'RELEASED', idField: 'lockId', tombstoneOp: 'lock' }),
    );
  };
}
