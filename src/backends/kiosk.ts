import { z } from 'zod';
import { ok, problem, type BackendService, type ServiceRouter } from './service';

const DoorSchema = z.object({ kioskId: z.string().min(1), bay: z.number().int().positive(), bikeId: z.string().min(1) });
const NoticeSchema = z.object({ kioskId: z.string().min(1), message: z.string().min(1).max(500) });

/** The kiosk's front API: bay doors and what the rider's screen says. */
export function kioskRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('open-door', 'POST', '/doors', ({ body, sagaId, key }) => {
      const parsed = DoorSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      service.save({ id: service.newId('door'), kind: 'door', sagaId, status: 'OPENED', reference: key, ...parsed.data });
      return ok({ status: 'OPEN', bay: parsed.data.bay }, 201);
    });
    router.write('notify', 'POST', '/notifications', ({ body, sagaId, key }) => {
      const parsed = NoticeSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const notice = service.save({ id: service.newId('note'), kind: 'notice', sagaId, status: 'SHOWN', reference: key, ...parsed.data });
      return ok({ noticeId: notice.id }, 201);
    });
  };
}
