import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Money } from '../../domain/money';
import { SagaFeeds } from '../../observability/saga-feeds';
import { clientModuleFiles } from '../client-module';
import type { OpsGateway } from '../ops-gateway';
import { presentView } from '../present';
import { HttpProblem } from '../problems';
import { SagaIdSchema } from '../schemas';
import { ClientSlots } from '../wait-limit';
import { DEFAULT_EVENT_STREAMS, EventHeadersSchema, tooManyStreams, type EventStreamOptions } from './events';

export interface ScreenOptions {
  /** Shows a "bike sensed" button per bay, standing in for the door sensor. */
  development: boolean;
  visitorMaxBikes: number;
  feePerBike: Money;
}

const dir = join(__dirname, '..', 'screens');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

/** Every file a screen loads, read once: nothing outside this list is ever served. */
const assets = new Map([
  ['screens.css', { type: 'text/css; charset=utf-8', body: read('screens.css') }],
  ['common.js', { type: 'text/javascript; charset=utf-8', body: read('common.js') }],
  ['kiosk.js', { type: 'text/javascript; charset=utf-8', body: read('kiosk.js') }],
  ['desk.js', { type: 'text/javascript; charset=utf-8', body: read('desk.js') }],
  ['ops.js', { type: 'text/javascript; charset=utf-8', body: read('ops.js') }],
  ['ops.css', { type: 'text/css; charset=utf-8', body: read('ops.css') }],
]);
const pages = { kiosk: read('kiosk.html'), desk: read('desk.html'), ops: read('ops.html') };

// The pages hold no key: the kiosk keeps its own in the browser (see common.js), so nothing here is secret.
const headers = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

function page(reply: FastifyReply, template: string, values: Record<string, string>) {
  // Every value is matched by a strict pattern or produced here, so it needs no HTML escaping.
  const html = template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? '');
  return reply.headers(headers).type('text/html; charset=utf-8').send(html);
}

/** The screens people use: the bike kiosk's touch screen and the class registration desk. */
export function screenRoutes(app: FastifyInstance, options: ScreenOptions): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const hide = { hide: true };

  typed.get('/kiosk/:kioskId', { schema: { ...hide, params: z.object({ kioskId: z.string().regex(/^[a-z0-9-]{1,64}$/) }) } }, (request, reply) =>
    page(reply, pages.kiosk, {
      kioskId: request.params.kioskId,
      development: String(options.development),
      visitorMaxBikes: String(options.visitorMaxBikes),
      feeMinor: String(options.feePerBike.amountMinor),
      feeCurrency: options.feePerBike.currency,
    }),
  );

  typed.get('/sections/:sectionId', { schema: { ...hide, params: z.object({ sectionId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/) }) } }, (request, reply) =>
    page(reply, pages.desk, { sectionId: request.params.sectionId }),
  );

  // The operator console: the key is entered once (#key=...) and kept in the browser, as the kiosk's.
  typed.get('/ops', { schema: hide }, (_request, reply) => page(reply, pages.ops, {}));

  // The client package's browser build, which the screens call the API with.
  const clientModule = clientModuleFiles();
  typed.get('/screens/client/:file', { schema: { ...hide, params: z.object({ file: z.string().max(32) }) } }, (request, reply) => {
    const body = clientModule.get(request.params.file);
    if (body === undefined) return reply.callNotFound();
    return reply.headers({ ...headers, 'cache-control': 'no-cache' }).type('text/javascript; charset=utf-8').send(body);
  });

  typed.get('/screens/:file', { schema: { ...hide, params: z.object({ file: z.string().max(32) }) } }, (request, reply) => {
    const asset = assets.get(request.params.file);
    if (!asset) return reply.callNotFound();
    return reply.headers({ ...headers, 'cache-control': 'no-cache' }).type(asset.type).send(asset.body);
  });
}

const OpsIdParamsSchema = z.object({ id: SagaIdSchema });

/**
 * What the operator console reads, under /v1/ops (operator keys only, left out of the OpenAPI document):
 * one saga of any client, and its transitions as Server-Sent Events, as a client reads its own, with the
 * same cap on open streams per operator as per client.
 */
export function opsConsoleRoutes(app: FastifyInstance, ops: OpsGateway, options: EventStreamOptions = DEFAULT_EVENT_STREAMS): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const feeds = new SagaFeeds((sagaId) => ops.view(sagaId), options);
  const slots = new ClientSlots('operator-streams', options.maxPerClient, options.redis ?? null);
  app.addHook('preClose', async () => feeds.close());
  const notFound = (id: string) => new HttpProblem(404, 'saga-not-found', 'Saga not found', `no saga ${id}`);

  typed.get('/v1/ops/sagas/:id', { schema: { hide: true, params: OpsIdParamsSchema } }, async (request) => {
    const view = await ops.view(request.params.id);
    if (!view) throw notFound(request.params.id);
    return presentView(view);
  });

  typed.get('/v1/ops/sagas/:id/events', {
    schema: { hide: true, params: OpsIdParamsSchema, headers: EventHeadersSchema },
  }, async (request, reply) => {
    const { id } = request.params;
    if (!(await ops.view(id))) throw notFound(id);
    const release = await slots.acquire(request.operator!);
    if (!release) throw tooManyStreams('operator', options.maxPerClient);
    reply.hijack();
    const res = reply.raw;
    // An operator that left while the saga was read or the place taken was never heard by a 'close' listener.
    if (res.destroyed) return release();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs);
    let unsubscribe = (): void => undefined;
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      release();
      if (!res.writableEnded) res.end();
    };
    res.on('close', close);
    unsubscribe = feeds.subscribe(id, 'ops', request.headers['last-event-id'], {
      send: (event) => res.write(`id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`),
      end: close,
    });
  });
}
