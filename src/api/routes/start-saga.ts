import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TERMINAL_STATUSES, type BusinessKey, type SagaType, type SagaView } from '../../domain/saga';
import { idempotencyKeyOf, preferWaitMs, requestHash, sagaIdFor } from '../idempotency';
import { sagasStarted, waitsInProgress } from '../../observability/api-metrics';
import { HttpProblem } from '../problems';
import type { SagaGateway } from '../saga-gateway';
import { presentView } from '../present';
import { SagaViewSchema, problemResponses } from '../schemas';

export interface SagaRoute<S extends z.ZodType> {
  path: string;
  type: SagaType;
  workflow: string;
  schema: S;
  description: string;
  /** The workflow input: the request plus what the API decides (deadlines, tuning); never secrets. */
  toInput(body: z.infer<S>): unknown | Promise<unknown>;
  summary(body: z.infer<S>): string;
  /** What the business knows this saga by; set as keyword search attributes at start. */
  businessKeys?(body: z.infer<S>): Partial<Record<BusinessKey, string>>;
  /** Answers before any saga starts (an empty kiosk, say), by throwing an HttpProblem. */
  precheck?(body: z.infer<S>, clientId: string): Promise<void>;
}

const idempotencyHeaders = z
  .object({
    'idempotency-key': z.string().optional().describe('Required: 1 to 255 characters; the same key returns the same saga'),
    prefer: z.string().optional().describe('wait=N (N up to 60): wait up to N seconds for the saga to end'),
  })
  .loose();

/** The one shape every saga's start route has: auth, Idempotency-Key, validation, 202 + Location, Prefer: wait. */
export function registerSagaRoute<S extends z.ZodType>(app: FastifyInstance, gateway: SagaGateway, route: SagaRoute<S>): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    route.path,
    {
      schema: {
        description: route.description,
        body: route.schema,
        headers: idempotencyHeaders,
        response: { 200: SagaViewSchema, 202: SagaViewSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const body = request.body as z.infer<S>;
      const sagaId = sagaIdFor(request.clientId, key);
      const started = await gateway.start({
        type: route.type,
        workflow: route.workflow,
        input: await inputUnlessStarted(route, body, request),
        sagaId,
        clientId: request.clientId,
        requestHash: requestHash(route.type, body),
        summary: route.summary(body),
        businessKeys: route.businessKeys?.(body),
      });
      if (started.kind === 'started') sagasStarted.inc({ saga_type: route.type });
      if (started.kind === 'conflict') {
        throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused with another request', `Idempotency-Key: ${key} was already used for a different request`, { sagaId });
      }
      return answerWithView(request, reply, gateway, started.view);
    },
  );
}

async function inputUnlessStarted<S extends z.ZodType>(route: SagaRoute<S>, body: z.infer<S>, request: FastifyRequest): Promise<unknown> {
  if (route.precheck) await route.precheck(body, request.clientId);
  return route.toInput(body);
}

/** 200 with the final view when the saga has ended (waiting up to `Prefer: wait=N`), else 202. */
export async function answerWithView(request: FastifyRequest, reply: FastifyReply, gateway: SagaGateway, initial: SagaView) {
  const waitMs = preferWaitMs(request);
  let view = initial;
  if (waitMs !== null && !TERMINAL_STATUSES.has(view.status)) {
    waitsInProgress.inc();
    view = (await gateway.waitForEnd(view.id, request.clientId, waitMs).finally(() => waitsInProgress.dec())) ?? view;
    reply.header('preference-applied', `wait=${waitMs / 1000}`);
  }
  reply.header('location', `/v1/sagas/${view.id}`);
  return reply.code(TERMINAL_STATUSES.has(view.status) ? 200 : 202).send(presentView(view));
}
