import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { eventStreamsOpen, feedCounts } from '../../observability/api-metrics';
import { SagaFeeds, type FeedEvent } from '../../observability/saga-feeds';
import type { SagaGateway } from '../saga-gateway';
import { problemResponses, SagaIdSchema } from '../schemas';
import { HttpProblem } from '../problems';
import { StreamPlaces } from '../stream-places';
import type { Redis } from 'ioredis';
import { notFound } from './sagas';

export interface EventStreamOptions {
  /** How often one API instance reads a watched saga (one read per saga, whatever the number of streams). */
  pollMs: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /** A saga's feed goes on this long after its last stream closed, so a reconnect resumes where it was. */
  lingerMs: number;
  /** Open streams one client may hold (on every instance together, with Redis); past it a new one is a 429. */
  maxPerClient: number;
  /** With SAGAWAY_REDIS_URL: streams are counted across every API instance. */
  redis?: Redis | null;
}

export const DEFAULT_EVENT_STREAMS: EventStreamOptions = { pollMs: 500, heartbeatMs: 15_000, lingerMs: 10_000, maxPerClient: 100 };

const IdParamsSchema = z.object({ id: SagaIdSchema });
/** An event id is what its stream was told of each step (saga-transitions.ts): room for a saga of hundreds. */
export const EventHeadersSchema = z.object({ 'last-event-id': z.string().max(512).optional() }).loose();

/**
 * `GET /v1/sagas/{id}/events`: the saga's transitions as Server-Sent Events, one per step transition and
 * status change, then the stream closes when the saga ends. Every timer and poll a stream starts is
 * ended when the client goes away or the API closes.
 */
export function eventRoutes(app: FastifyInstance, gateway: SagaGateway, options: EventStreamOptions = DEFAULT_EVENT_STREAMS): void {
  const feeds = new SagaFeeds((sagaId, owner) => gateway.view(sagaId, owner), options);
  const places = new StreamPlaces('streams', options.maxPerClient, options.lingerMs, options.redis ?? null);
  const count = () => feeds.size;
  feedCounts.add(count);
  app.addHook('preClose', async () => {
    feeds.close();
    places.close();
    feedCounts.delete(count);
  });

  app.withTypeProvider<ZodTypeProvider>().get('/v1/sagas/:id/events', {
    schema: {
      operationId: 'followSagaEvents',
      summary: "Follow a saga's progress live",
      description: 'Live progress as Server-Sent Events (text/event-stream): events `step`, `status`, `audit`; ids resume with Last-Event-ID; the stream ends with the saga.',
      params: IdParamsSchema,
      headers: EventHeadersSchema,
      // The stream is written by hand (text/event-stream); this documents the 200 for generated clients.
      response: { 200: z.string().describe('a text/event-stream of `step`, `status` and `audit` events'), ...problemResponses },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const view = await gateway.view(id, request.clientId);
    if (!view) throw notFound(id);
    const release = await places.acquire(request.clientId, id);
    if (!release) throw tooManyStreams('client', options.maxPerClient);
    reply.hijack();
    const res = reply.raw;
    // A client that left while the saga was read or the place taken was never heard by a 'close' listener.
    // Its place is kept as a closed stream's is: it may be the one kept for this saga's lingering feed.
    if (res.destroyed) return places.keep(request.clientId, id, release);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 2000\n\n`);
    eventStreamsOpen.inc();
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs);
    let unsubscribe = (): void => undefined;
    let closed = false;
    // The client left while the saga runs: its feed lingers, and the place with it. The saga ended: given back.
    const close = (sagaEnded: boolean) => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      if (sagaEnded) release();
      else places.keep(request.clientId, id, release);
      eventStreamsOpen.dec();
      if (!res.writableEnded) res.end();
    };
    res.on('close', () => close(false));
    unsubscribe = feeds.subscribe(id, request.clientId, request.headers['last-event-id'], {
      send: (event) => res.write(format(event)),
      end: () => close(true),
    });
  });
}

export function tooManyStreams(holder: 'client' | 'operator', max: number): HttpProblem {
  return new HttpProblem(429, 'too-many-streams', 'Too many event streams', `this ${holder} already holds ${max} open event streams; close one first`, {}, { 'retry-after': '5' });
}

function format(event: FeedEvent): string {
  return `id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}
