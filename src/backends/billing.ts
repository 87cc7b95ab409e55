import { z } from 'zod';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { studentRecord } from './students';
import { lookUpByReference, undoByReference } from './undo';

const ChargeSchema = z.object({ studentId: z.string().min(1), sectionId: z.string().min(1), amountMinor: z.number().int().min(0), currency: z.string() });

/** The bursar: tuition charges per enrollment. A student with an account hold cannot be billed. */
export function billingRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('charge', 'POST', '/charges', ({ body, sagaId, key }) => {
      const parsed = ChargeSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      if (studentRecord(parsed.data.studentId)?.standing === 'HOLD') {
        return problem(422, 'AccountHold', `student ${parsed.data.studentId} has an account hold and cannot be billed`);
      }
      const charge = service.save({ id: service.newId('chg'), kind: 'charge', sagaId, status: 'PLACED', reference: key, ...parsed.data });
      return ok({ chargeId: charge.id, status: charge.status }, 201);
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
    router.write('release', 'POST', '/releases', ({ body }) =>
      undoByReference(service, body, { from: ['PLACED'], to: 'RELEASED', idField: 'chargeId', tombstoneOp: 'charge' }),
    );
  };
}
