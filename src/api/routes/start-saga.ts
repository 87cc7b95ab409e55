import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TERMINAL_STATUSES, type BusinessKey, type SagaType, type SagaView } from '../../domain/saga';
import { sagasRefused, sagasStarted, waitsInProgress } from '../../observability/api-metrics';
import type { Admission } from '../admission';
import { idempotencyKeyOf, KEY_LIFETIME, preferWaitMs, requestHash, sagaIdFor } from '../idempotency';
import { HttpProblem } from '../problems';
import type { SagaGateway, StartOutcome } from '../saga-gateway';
import { presentView } from '../present';
import { SagaViewSchema, problemResponses, refuseIllFormedText } from '../schemas';
import { SingleFlight } from '../single-flight';
import { keyIdOf } from '../key-id';

/** Who started a saga: the client and its key's fingerprint (never the key), for a saga that audits it. */
export interface Caller {
  clientId: string;
  keyId: string;
}

export interface SagaRoute<S extends z.ZodType> {
  path: string;
  type: SagaType;
  workflow: string;
  schema: S;
  operationId: string;
  summary: string;
  description: string;
  example: z.infer<S>;
  /** The workflow input: the request plus what the API decides (deadlines, tuning, who asked); never secrets. */
  toInput(body: z.infer<S>, caller: Caller): unknown | Promise<unknown>;
  /** The run's summary in the Temporal UI. */
  runSummary(body: z.infer<S>): string;
  /** What the business knows this saga by; set as keyword search attributes at start. */
  businessKeys?(body: z.infer<S>): Partial<Record<BusinessKey, string>>;
  /**
   * Answers before a new saga starts (an empty kiosk, a live registration), by throwing an HttpProblem.
   * Never runs for a retry: a key already used is answered with its saga first.
   */
  precheck?(body: z.infer<S>, sagaId: string, clientId: string, requestHash: string): Promise<void>;
  /** Runs once, in the instance that started the saga, never for a retry (a kiosk's stock is lowered). */
  onStarted?(body: z.infer<S>): void;
}

const idempotencyHeaders = z
  .object({
    'idempotency-key': z.string().optional().describe(`Required: 1 to 255 visible ASCII characters; the same key returns the same saga for ${KEY_LIFETIME}`),
    prefer: z.string().optional().describe('wait=N (N up to 60): wait up to N seconds for the saga to end'),
  })
  .loose();

/** The one shape every saga's start route has: auth, Idempotency-Key, validation, 202 + Location, Prefer: wait. */
export function registerSagaRoute<S extends z.ZodType>(app: FastifyInstance, gateway: SagaGateway, route: SagaRoute<S>): void {
  // Duplicates sent together to this instance share one start; across instances Temporal's id decides.
  const starts = new SingleFlight<StartOutcome>();
  app.withTypeProvider<ZodTypeProvider>().post(
    route.path,
    {
      preValidation: refuseIllFormedText,
      schema: {
        operationId: route.operationId,
        summary: route.summary,
        description: route.description,
        body: route.schema.meta({ examples: [route.example] }),
        headers: idempotencyHeaders,
        response: { 200: SagaViewSchema, 202: SagaViewSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const body = request.body as z.infer<S>;
      const sagaId = sagaIdFor(request.clientId, key);
      const hash = requestHash(route.type, body);
      const outcome = await starts.run(`${sagaId}\n${hash}`, () => startOnce(gateway, route, app.admission, { body, sagaId, hash, clientId: request.clientId, keyId: keyIdOf(request) }));
      if (outcome.kind === 'conflict') {
        throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused with another request', `Idempotency-Key: ${key} was already used for a different request`, { sagaId });
      }
      return answerWithView(request, reply, gateway, outcome.view, { done: outcome.kind === 'started' });
    },
  );
}

/**
 * A key already used answers with its saga before any precheck, cache update or backend call, and before
 * admission control refuses anything: a retry of a saga that was admitted is never turned away.
 */
async function startOnce<S extends z.ZodType>(
  gateway: SagaGateway,
  route: SagaRoute<S>,
  admission: Admission | null,
  req: { body: z.infer<S>; sagaId: string; hash: string; clientId: string; keyId: string },
): Promise<StartOutcome> {
  const place = admission ? await admission.reserve(req.clientId) : null;
  try {
    const refusal = place instanceof HttpProblem ? place : null;
    if (route.precheck || refusal) {
      const existing = await gateway.existing(req.sagaId, req.clientId, req.hash);
      if (existing) return existing;
      if (refusal) {
        sagasRefused.inc({ saga_type: route.type, reason: refusal.slug });
        throw refusal;
      }
      await route.precheck?.(req.body, req.sagaId, req.clientId, req.hash);
    }
    const outcome = await gateway.start({
      type: route.type,
      workflow: route.workflow,
      input: await route.toInput(req.body, { clientId: req.clientId, keyId: req.keyId }),
      sagaId: req.sagaId,
      clientId: req.clientId,
      requestHash: req.hash,
      summary: route.runSummary(req.body),
      businessKeys: route.businessKeys?.(req.body),
    });
    if (outcome.kind === 'started') {
      sagasStarted.inc({ saga_type: route.type });
      if (place && !(place instanceof HttpProblem)) place.started();
      route.onStarted?.(req.body);
    }
    return outcome;
  } finally {
    // A start that did not happen (a retry, a conflict, a refusal, an error) gives its place back.
    if (place && !(place instanceof HttpProblem)) place.release();
  }
}

/**
 * 200 with the final view when the saga has ended (waiting up to `Prefer: wait=N`), else 202. When this
 * request did something (`done`: it started the saga, or sent it a command), a wait refused by the
 * per-client cap is answered 202 with the Location, never a 429 for something that was done; a read or a
 * retry is refused with the 429.
 */
export async function answerWithView(request: FastifyRequest, reply: FastifyReply, gateway: SagaGateway, initial: SagaView, { done = false } = {}) {
  const waitMs = preferWaitMs(request);
  let view = initial;
  if (waitMs !== null && !TERMINAL_STATUSES.has(view.status)) {
    waitsInProgress.inc();
    try {
      view = (await gateway.waitForEnd(view.id, request.clientId, waitMs, whenGone(reply))) ?? view;
      reply.header('preference-applied', `wait=${waitMs / 1000}`);
    } catch (err) {
      if (!(done && err instanceof HttpProblem && err.slug === 'too-many-waits')) throw err;
    } finally {
      waitsInProgress.dec();
    }
  }
  reply.header('location', `/v1/sagas/${view.id}`);
  return reply.code(TERMINAL_STATUSES.has(view.status) ? 200 : 202).send(presentView(view));
}

/** Aborts when the client goes away before its answer is sent, so nothing it started keeps running for it. */
function whenGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller.signal;
}
