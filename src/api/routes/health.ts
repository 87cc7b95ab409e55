import type { FastifyInstance } from 'fastify';
import type { SagaGateway } from '../saga-gateway';

export function healthRoutes(app: FastifyInstance, gateway: SagaGateway): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const { ready, reason } = await gateway.ready();
    if (!ready) reply.code(503).header('retry-after', '5');
    return { status: ready ? 'ready' : 'not-ready', temporal: ready ? 'reachable' : 'unreachable', reason };
  });
}
