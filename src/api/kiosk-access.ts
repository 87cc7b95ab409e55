import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KioskStockCache } from './kiosk-stock';
import { HttpProblem } from './problems';
import { problemResponses } from './schemas';

/** A client id `kiosk.<kioskId>` marks a kiosk's own key: it may only do what that kiosk's screen does. */
export const KIOSK_CLIENT_PREFIX = 'kiosk.';

/** Routes a kiosk key may call (Fastify route patterns); each is checked against the kiosk below. */
const kioskRoutes = new Set([
  'GET /v1/kiosks/:kioskId/availability',
  'POST /v1/bike-checkouts',
  'GET /v1/sagas/:id',
  'GET /v1/sagas/:id/events',
  'POST /v1/sagas/:id/signals/bike-sensed',
  'POST /v1/sagas/:id/cancel',
]);

export function kioskOf(clientId: string | undefined): string | null {
  return clientId?.startsWith(KIOSK_CLIENT_PREFIX) ? clientId.slice(KIOSK_CLIENT_PREFIX.length) : null;
}

function forbidden(detail: string): HttpProblem {
  return new HttpProblem(403, 'forbidden', 'Forbidden', detail);
}

/**
 * Holds a kiosk key to its kiosk: any other route is a 403 before the body is read, and a checkout or an
 * availability question for another kiosk is a 403 too. Sagas it did not start are already a 404, since
 * a kiosk key is a client of its own. Added after the 401 check, so it runs after it (hooks of one kind
 * run in the order they were added).
 */
export function kioskAccess(v1: FastifyInstance, stock: KioskStockCache): void {
  v1.addHook('preParsing', async (request: FastifyRequest) => {
    const kioskId = kioskOf(request.clientId);
    if (kioskId === null) return;
    if (!kioskRoutes.has(`${request.method} ${request.routeOptions.url}`)) {
      throw forbidden(`a kiosk key may only check out bikes at ${kioskId} and follow them`);
    }
    const asked = (request.params as { kioskId?: string }).kioskId;
    if (asked !== undefined && asked !== kioskId) throw forbidden(`this key belongs to kiosk ${kioskId}`);
  });
  v1.addHook('preHandler', async (request: FastifyRequest) => {
    const kioskId = kioskOf(request.clientId);
    const body = request.body as { kioskId?: unknown } | undefined;
    if (kioskId !== null && request.routeOptions.url === '/v1/bike-checkouts' && body?.kioskId !== kioskId) {
      throw forbidden(`this key belongs to kiosk ${kioskId}`);
    }
  });

  v1.withTypeProvider<ZodTypeProvider>().get('/v1/kiosks/:kioskId/availability', {
    schema: {
      operationId: 'getKioskAvailability',
      summary: 'Read whether a kiosk has bikes',
      description: 'Whether a kiosk has bikes, from the API\'s short-lived cache of the storage API (null: unknown right now). A kiosk screen asks before the rider scans, so an empty kiosk says so at once.',
      params: z.object({ kioskId: z.string().regex(/^[a-z0-9-]{1,64}$/) }),
      response: { 200: z.object({ kioskId: z.string(), bikesAvailable: z.number().nullable() }), ...problemResponses },
    },
  }, async (request) => ({ kioskId: request.params.kioskId, bikesAvailable: await stock.stock(request.params.kioskId) }));
}
