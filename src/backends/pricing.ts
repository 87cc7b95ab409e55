import { z } from 'zod';
import { CATALOG, RATES, convertFromEur } from './catalog';
import { ok, problem, type BackendService, type ServiceRouter } from './service';

const QuoteRequestSchema = z.object({
  currency: z.string(),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
});

export function pricingRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('quote', 'POST', '/quotes', ({ body, sagaId, key }) => {
      const parsed = QuoteRequestSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const { currency, items } = parsed.data;
      if (RATES[currency] === undefined) return problem(422, 'UnsupportedCurrency', `currency ${currency} is not supported`);
      const unknown = items.find((item) => !CATALOG[item.sku]);
      if (unknown) return problem(422, 'UnknownSku', `sku ${unknown.sku} is not in the catalog`);
      const lines = items.map((item) => {
        const unitPriceMinor = convertFromEur(CATALOG[item.sku]!.priceMinorEur, currency);
        return { sku: item.sku, quantity: item.quantity, unitPriceMinor, totalMinor: unitPriceMinor * item.quantity };
      });
      const subtotalMinor = lines.reduce((sum, line) => sum + line.totalMinor, 0);
      const quote = service.save({
        id: service.newId('quo'),
        kind: 'quote',
        sagaId,
        status: 'QUOTED',
        reference: key,
        currency,
        lines,
        subtotalMinor,
      });
      return ok({ quoteId: quote.id, currency, lines, subtotalMinor }, 201);
    });
  };
}
