import { z } from 'zod';
import { ok, problem, type BackendService, type ServiceRouter } from './service';

const MessageSchema = z.object({
  to: z.string().min(1),
  template: z.string().min(1),
  data: z.record(z.string(), z.unknown()).default({}),
});

export function notificationsRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    router.write('send', 'POST', '/messages', ({ body, sagaId, key }) => {
      const parsed = MessageSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const message = service.save({
        id: service.newId('msg'),
        kind: 'message',
        sagaId,
        status: 'SENT',
        reference: key,
        ...parsed.data,
      });
      return ok({ messageId: message.id, status: message.status }, 201);
    });
  };
}
