import { z } from 'zod';
import { CATALOG } from './catalog';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { lookUpByReference, undoByReference } from './undo';

const ReserveSchema = z.object({
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
});

/** Units of a SKU that reservations hold or have taken; stock is derived, so a replayed journal restores it. */
function unitsTaken(service: BackendService, sku: string): number {
  let taken = 0;
  for (const record of service.list('reservation')) {
    if (record.status !== 'HELD' && record.status !== 'COMMITTED') continue;
    for (const item of record.items as Array<{ sku: string; quantity: number }>) {
      if (item.sku === sku) taken += item.quantity;
    }
  }
  return taken;
}

export function inventoryRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('reserve', 'POST', '/reservations', ({ body, sagaId, key }) => {
      const parsed = ReserveSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      for (const item of parsed.data.items) {
        const product = CATALOG[item.sku];
        if (!product) return problem(422, 'UnknownSku', `sku ${item.sku} is not in the catalog`);
        const available = product.stock - unitsTaken(service, item.sku);
        if (available < item.quantity) {
          return problem(409, 'OutOfStock', `sku ${item.sku}: ${item.quantity} wanted, ${available} available`);
        }
      }
      const reservation = service.save({
        id: service.newId('res'),
        kind: 'reservation',
        sagaId,
        status: 'HELD',
        reference: key,
        items: parsed.data.items,
      });
      return ok({ reservationId: reservation.id, status: reservation.status }, 201);
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
    router.write('commit', 'POST', '/reservations/commit', ({ body }) =>
      undoByReference(service, body, { from: ['HELD'], to: 'COMMITTED', idField: 'reservationId' }),
    );
    router.write('release', 'POST', '/reservations/release', ({ body }) =>
      undoByReference(service, body, { from: ['HELD'], to: 'RELEASED', idField: 'reservationId', tombstoneOp: 'reserve' }),
    );
  };
}
