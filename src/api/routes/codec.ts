import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpProblem } from '../problems';

export interface CodecRouteOptions {
  codec: PayloadCodec;
  authenticate: (request: FastifyRequest) => Promise<void>;
  /** The Temporal UI's origins; in development the UI may call without a key (it cannot send one). */
  uiOrigins: string[];
  development: boolean;
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
 * who has access: an API key, or in development the embedded UI's own origin.
 */
export async function codecRoutes(app: FastifyInstance, options: CodecRouteOptions): Promise<void> {
  await app.register(cors, { origin: options.uiOrigins, methods: ['POST'], allowedHeaders: ['content-type', 'authorization', 'x-namespace'], credentials: true });
  app.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS') return;
    const fromUi = typeof request.headers.origin === 'string' && options.uiOrigins.includes(request.headers.origin);
    if (options.development && fromUi && !request.headers.authorization) return;
    if (!request.headers.authorization) throw new HttpProblem(401, 'unauthorized', 'Unauthorized', 'send Authorization: Bearer <api key> to use the codec');
    await options.authenticate(request);
  });
  const typed = app.withTypeProvider<ZodTypeProvider>();
  for (const direction of ['encode', 'decode'] as const) {
    typed.post(`/codec/${direction}`, { bodyLimit: 8 * 1024 * 1024, schema: { hide: true, body: CodecBodySchema } }, async (request) => {
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
