import type { FastifyInstance } from 'fastify';
import type { SagaGateway } from '../saga-gateway';
import type { SharedState } from '../shared-state';

/**
 * How long one answer of Temporal and Redis serves /readyz. Anyone may ask it (no key, no rate limit, as
 * probes must), so it costs them at most one call each per period, however many probes arrive.
 */
const READY_FRESH_MS = 1_000;

/** /readyz also says whether rate limits and the kiosk stock cache are shared (Redis) or per instance. */
export function healthRoutes(app: FastifyInstance, gateway: SagaGateway, shared: SharedState): void {
  const readiness = cachedFor(READY_FRESH_MS, () => Promise.all([gateway.ready(), shared.describe()]));
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const [{ ready, reason }, sharedState] = await readiness();
    if (!ready) reply.code(503).header('retry-after', '5');
    return { status: ready ? 'ready' : 'not-ready', temporal: ready ? 'reachable' : 'unreachable', reason, sharedState };
  });
}

/** The answer of `ask`, shared by every caller until it is `ms` old; callers while it is asked share that ask. */
function cachedFor<T>(ms: number, ask: () => Promise<T>): () => Promise<T> {
  let last: { at: number; answer: Promise<T> } | null = null;
  return () => {
    if (last && Date.now() - last.at < ms) return last.answer;
    const answer = ask();
    last = { at: Date.now(), answer };
    // Both asks never throw (they answer not-ready); if one did, the next probe asks again.
    answer.catch(() => (last = null));
    return last.answer;
  };
}
