import { z } from 'zod';
import { ok, problem, type BackendService, type ServiceRouter } from './service';
import { recording } from './recording';
import { lookUpByReference, undoByReference } from './undo';

const SectionSchema = z.object({
  sectionId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  capacity: z.number().int().min(1).max(10_000),
  allocationAt: z.iso.datetime(),
  windowClosesAt: z.iso.datetime(),
});
const EnrollSchema = z.object({ sectionId: z.string().min(1), studentId: z.string().min(1) });

function sectionOf(service: BackendService, sectionId: string) {
  return service.list('section').find((r) => r.sectionId === sectionId);
}

/** The registrar: sections, and who is enrolled in them. A section never holds more than its capacity. */
export function registrarRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.admin('POST', '/sections', ({ body }) => {
      const parsed = SectionSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      if (Date.parse(parsed.data.windowClosesAt) <= Date.parse(parsed.data.allocationAt)) {
        return problem(400, 'InvalidRequest', 'windowClosesAt must be after allocationAt');
      }
      const existing = sectionOf(service, parsed.data.sectionId);
      service.save({ id: existing?.id ?? service.newId('sec'), kind: 'section', sagaId: null, status: 'OPEN', reference: null, ...parsed.data });
      return ok(parsed.data, 201);
    });
    router.read('section', '/sections/:sectionId', ({ params }) => {
      const section = sectionOf(service, params.sectionId!);
      if (!section) return problem(404, 'UnknownSection', `no section ${params.sectionId}`);
      const enrolled = service.list('enrollment').filter((r) => r.sectionId === section.sectionId && r.status === 'ENROLLED').length;
      const { sectionId, capacity, allocationAt, windowClosesAt } = section;
      return ok({ sectionId, capacity, allocationAt, windowClosesAt, enrolled });
    }, 'public');
    router.write('enroll', 'POST', '/enrollments', ({ body, sagaId, key }) => {
      const parsed = EnrollSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const section = sectionOf(service, parsed.data.sectionId);
      if (!section) return problem(404, 'UnknownSection', `no section ${parsed.data.sectionId}`);
      const enrolled = service.list('enrollment').filter((r) => r.sectionId === section.sectionId && r.status === 'ENROLLED');
      if (enrolled.length >= (section.capacity as number) && !recording()) return problem(409, 'SectionFull', `section ${section.sectionId} is full`);
      const enrollment = service.save({ id: service.newId('enr'), kind: 'enrollment', sagaId, status: 'ENROLLED', reference: key, ...parsed.data });
      return ok({ enrollmentId: enrollment.id, status: enrollment.status }, 201);
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
    router.write('drop', 'POST', '/drops', ({ body }) =>
      undoByReference(service, body, { from: ['ENROLLED'], to: 'DROPPED', idField: 'enrollmentId', tombstoneOp: 'enroll' }),
    );
  };
}
