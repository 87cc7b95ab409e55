import { z } from 'zod';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { undoByReference } from './undo';

/**
 * The currency desk's pair quotes for transfers: one rate from the account's currency into the
 * beneficiary's, 6 decimals, as an integer (`rateE6`) so nothing downstream rounds a float.
 */
export const PAIR_RATES_PER_EUR_E6: Record<string, number> = {
  EUR: 1_000_000, USD: 1_080_000, GBP: 850_000, CHF: 940_000, SEK: 11_450_000, NOK: 11_600_000, DKK: 7_460_000,
  PLN: 4_320_000, CZK: 25_100_000, JPY: 162_450_000, KRW: 1_452_000_000, KWD: 331_234, BHD: 407_500, JOD: 766_000, OMR: 416_000, TND: 3_380_000,
};

const PairSchema = z.object({ sell: z.string().length(3), buy: z.string().length(3) });
const LockSchema = z.object({ quoteId: z.string().min(1) });
const QUOTE_SECONDS = 60;

/** Units of `buy` per unit of `sell`, to 6 decimals. */
export function pairRateE6(sell: string, buy: string): number {
  return Math.round((PAIR_RATES_PER_EUR_E6[buy]! * 1_000_000) / PAIR_RATES_PER_EUR_E6[sell]!);
}

export function fxPairRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('quotePair', 'POST', '/pairs/quotes', ({ body, sagaId, key }) => {
      const parsed = PairSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const { sell, buy } = parsed.data;
      const unknown = [sell, buy].find((c) => PAIR_RATES_PER_EUR_E6[c] === undefined);
      if (unknown) return problem(422, 'UnsupportedCurrency', `currency ${unknown} is not traded`);
      const expiresAt = new Date(Date.now() + QUOTE_SECONDS * 1_000).toISOString();
      const quote = service.save({ id: service.newId('fxp'), kind: 'pair-quote', sagaId, status: 'QUOTED', reference: key, sell, buy, rateE6: pairRateE6(sell, buy), expiresAt });
      return ok({ quoteId: quote.id, sell, buy, rateE6: quote.rateE6, expiresAt }, 201);
    });
    router.write('lockPair', 'POST', '/pairs/locks', ({ body, sagaId, key }) => {
      const parsed = LockSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const quote = service.records.get(parsed.data.quoteId);
      if (!quote || quote.kind !== 'pair-quote') return problem(404, 'NotFound', `no pair quote ${parsed.data.quoteId}`);
      if (Date.parse(String(quote.expiresAt)) <= Date.now()) return problem(409, 'RateExpired', `quote ${quote.id} expired at ${String(quote.expiresAt)}`);
      const lock = service.save({ id: service.newId('fxl'), kind: 'pair-lock', sagaId, status: 'LOCKED', reference: key, quoteId: quote.id, sell: quote.sell, buy: quote.buy, rateE6: quote.rateE6 });
      return ok({ lockId: lock.id, status: lock.status, rateE6: lock.rateE6 }, 201);
    });
    router.write('releasePair', 'POST', '/pairs/locks/release', ({ body }) =>
      undoByReference(service, body, { from: ['LOCKED'], to: 'RELEASED', idField: 'lockId', tombstoneOp: 'lockPair' }),
    );
  };
}
