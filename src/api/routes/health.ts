import type { FastifyInstance } from 'fastify';
import type { SagaGateway } from '../saga-gateway';
import type { SharedState } from '../shared-state';

/** /readyz also says whether rate limits and the kiosk stock cache are shared (Redis) or per instance. */
export function healthRoutes(app: FastifyInstance, gateway: SagaGateway, shared: SharedState): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const [{ ready, reason }, sharedState] = await Promise.all([gateway.ready(), shared.describe()]);
    if (!ready) reply.code(503).header('retry-after', '5');
    return { status: ready ? 'ready' : 'not-ready', temporal: ready ? 'reachable' : 'unreachable', reason, sharedState };
  });
}
