import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpProblem } from '../problems';

export interface CodecRouteOptions {
  codec: PayloadCodec;
  /** Identifies callers and registers the API's rate limit on the codec's scope, as on every route. */
  identifyAndLimit: (scope: FastifyInstance) => Promise<void>;
  /** The Temporal UI's origins; in development the UI on this machine may call without a key (it cannot send one). */
  uiOrigins: string[];
  development: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** The embedded Temporal UI of a development machine: its origin, from this very machine, with no key. */
function isLocalDevUi(request: FastifyRequest, options: CodecRouteOptions): boolean {
  const origin = request.headers.origin;
  const fromUi = typeof origin === 'string' && options.uiOrigins.includes(origin);
  return options.development && fromUi && !request.headers.authorization && LOOPBACK.has(request.socket.remoteAddress ?? '');
}

const JsonPayloadSchema = z.object({
  metadata: z.record(z.string(), z.string().max(10_000)).optional(),
  data: z.string().max(4_000_000).optional(),
});
const CodecBodySchema = z.object({ payloads: z.array(JsonPayloadSchema).max(1_000) });
type JsonPayload = z.infer<typeof JsonPayloadSchema>;

function fromJson(p: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  return { metadata, data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]));
  return { metadata, data: p.data ? Buffer.from(p.data).toString('base64') : undefined };
}

/**
 * Temporal's remote codec protocol, so the Temporal UI shows encrypted payloads decoded to an operator
 * who may read every tenant's payloads: an operator key, or in development the embedded UI on loopback.
 * It is rate limited and size-capped like every other route.
 */
export async function codecRoutes(app: FastifyInstance, options: CodecRouteOptions): Promise<void> {
  await app.register(cors, { origin: options.uiOrigins, methods: ['POST'], allowedHeaders: ['content-type', 'authorization', 'x-namespace'], credentials: true });
  await options.identifyAndLimit(app);
  app.addHook('preParsing', async (request) => {
    if (request.method === 'OPTIONS' || isLocalDevUi(request, options)) return;
    await app.requireOperator(request);
  });
  const typed = app.withTypeProvider<ZodTypeProvider>();
  for (const direction of ['encode', 'decode'] as const) {
    typed.post(`/codec/${direction}`, { schema: { hide: true, body: CodecBodySchema } }, async (request) => {
      const payloads = request.body.payloads.map(fromJson);
      try {
        const out = await options.codec[direction](payloads);
        return { payloads: out.map(toJson) };
      } catch (err) {
        throw new HttpProblem(422, 'codec-failed', 'The payloads cannot be processed', (err as Error).message.slice(0, 200));
      }
    });
  }
}
