import { z } from 'zod';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { recording } from './recording';
import { lookUpByReference, undoByReference } from './undo';

const BikeSchema = z.object({ bikeId: z.string().min(1), kioskId: z.string().min(1) });

/**
 * Bike management: which bike is out with which saga, and its condition when it left. A bike cannot be
 * checked out by two sagas at once.
 */
export function bikesRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('checkout', 'POST', '/checkouts', ({ body, sagaId, key }) => {
      const parsed = BikeSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const { bikeId, kioskId } = parsed.data;
      const holder = service.list('checkout').find((r) => r.bikeId === bikeId && r.status === 'CHECKED_OUT');
      if (holder && !recording()) return problem(409, 'BikeUnavailable', `bike ${bikeId} is already checked out`);
      const checkout = service.save({ id: service.newId('co'), kind: 'checkout', sagaId, status: 'CHECKED_OUT', reference: key, bikeId, kioskId });
      return ok({ checkoutId: checkout.id, status: checkout.status }, 201);
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
    router.write('checkin', 'POST', '/checkins', ({ body }) =>
      undoByReference(service, body, { from: ['CHECKED_OUT'], to: 'CHECKED_IN', idField: 'checkoutId', tombstoneOp: 'checkout' }),
    );
    // The kiosk camera takes the snapshot; a remote management service stores it with the record.
    router.write('condition', 'POST', '/conditions', ({ body, sagaId, key }) => {
      const parsed = BikeSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const record = service.save({
        id: service.newId('cond'),
        kind: 'condition',
        sagaId,
        status: 'RECORDED',
        reference: key,
        bikeId: parsed.data.bikeId,
        snapshot: `https://management.example/snapshots/${parsed.data.kioskId}/${parsed.data.bikeId}/${key}.jpg`,
      });
      return ok({ conditionRecordId: record.id, snapshot: record.snapshot }, 201);
    });
  };
}
