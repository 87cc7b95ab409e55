import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Money } from '../../domain/money';

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
]);
const pages = { kiosk: read('kiosk.html'), desk: read('desk.html') };

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

  typed.get('/screens/:file', { schema: { ...hide, params: z.object({ file: z.string().max(32) }) } }, (request, reply) => {
    const asset = assets.get(request.params.file);
    if (!asset) return reply.callNotFound();
    return reply.headers({ ...headers, 'cache-control': 'no-cache' }).type(asset.type).send(asset.body);
  });
}
