import { z } from 'zod';
import { SHIPPING_FLAT_MINOR_EUR, RATES, convertFromEur } from './catalog';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { lookUpByReference, undoByReference } from './undo';

const AddressSchema = z.object({
  name: z.string().min(1),
  line1: z.string().min(1),
  city: z.string().min(1),
  postalCode: z.string().min(1),
  country: z.string().length(2),
});

const QuoteSchema = z.object({ currency: z.string(), address: AddressSchema, units: z.number().int().positive() });
const ShipmentSchema = z.object({ address: AddressSchema, items: z.array(z.object({ sku: z.string(), quantity: z.number() })) });

/** Countries the demo carrier does not deliver to. */
const UNSERVED_COUNTRIES = new Set(['AQ']);

export function shippingRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('quote', 'POST', '/quotes', ({ body }) => {
      const parsed = QuoteSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const { currency, address } = parsed.data;
      if (RATES[currency] === undefined) return problem(422, 'UnsupportedCurrency', `currency ${currency} is not supported`);
      if (UNSERVED_COUNTRIES.has(address.country)) return problem(422, 'AddressRejected', `no delivery to ${address.country}`);
      return ok({ amountMinor: convertFromEur(SHIPPING_FLAT_MINOR_EUR, currency), currency, carrier: 'demo-post' });
    });
    router.write('create', 'POST', '/shipments', ({ body, sagaId, key }) => {
      const parsed = ShipmentSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const shipment = service.save({
        id: service.newId('shp'),
        kind: 'shipment',
        sagaId,
        status: 'CREATED',
        reference: key,
        country: parsed.data.address.country,
        items: parsed.data.items,
      });
      return ok({ shipmentId: shipment.id, status: shipment.status }, 201);
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
    router.write('cancel', 'POST', '/cancellations', ({ body }) =>
      undoByReference(service, body, { from: ['CREATED'], to: 'CANCELLED', idField: 'shipmentId', tombstoneOp: 'create' }),
    );
  };
}
