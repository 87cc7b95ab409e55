import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { depthGuarded } from '../json-depth';
import { HttpProblem } from '../problems';
import type { CommandOutcome, SagaGateway } from '../saga-gateway';
import { presentView } from '../present';
import { ListQuerySchema, SagaIdSchema, SagaListSchema, SagaViewSchema, problemResponses, refuseIllFormedText } from '../schemas';
import { withLivePosition } from './class-registrations';
import { answerWithView } from './start-saga';

const IdParamsSchema = z.object({ id: SagaIdSchema });
const CancelBodySchema = z
  .object({ reason: z.string().max(500).optional() })
  // Fastify hands the validator null for a request without a body.
  .nullish()
  .meta({ examples: [{ reason: 'customer changed their mind' }] });

export function notFound(id: string): HttpProblem {
  return new HttpProblem(404, 'saga-not-found', 'Saga not found', `no saga ${id} for this client`);
}

/** Maps a refused or missing command to its problem; answers the view when it went through. */
export function commandProblem(id: string, outcome: CommandOutcome): HttpProblem | null {
  if (outcome.kind === 'not-found') return notFound(id);
  if (outcome.kind === 'refused') {
    const status = outcome.code === 'PastPivot' || outcome.code === 'NotRunning' ? 409 : 422;
    return new HttpProblem(status, slug(outcome.code), 'The saga refused the request', outcome.reason, { code: outcome.code });
  }
  return null;
}

function slug(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

export function sagaRoutes(app: FastifyInstance, gateway: SagaGateway): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/sagas/:id', {
    preValidation: refuseIllFormedText,
    schema: {
      operationId: 'getSaga',
      summary: 'Read a saga',
      description: 'The saga view: live while it runs (at most a moment old under load), the stored result after.',
      params: IdParamsSchema,
      response: { 200: SagaViewSchema, ...problemResponses },
    },
  }, async (request) => {
    const view = await gateway.view(request.params.id, request.clientId);
    if (!view) throw notFound(request.params.id);
    return presentView(await withLivePosition(gateway, view));
  });

  typed.get('/v1/sagas', {
    preValidation: refuseIllFormedText,
    schema: {
      operationId: 'listSagas',
      summary: "List this client's sagas",
      description: "List this client's sagas, newest first, from Temporal visibility.",
      querystring: ListQuerySchema,
      response: { 200: SagaListSchema, ...problemResponses },
    },
  }, async (request) => gateway.list(request.clientId, request.query));

  // Cancel takes no body, an empty one, or { reason }: its own scope reads an empty JSON body as none.
  void app.register(async (scope) => {
    const json = depthGuarded(scope.getDefaultJsonParser('error', 'error'));
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if ((body as string).trim() === '') done(null, undefined);
      else json(request, body as string, done);
    });
    cancelRoute(scope, gateway);
  });
}

/** No body (or an empty one) is read as `{}`: Fastify validates a missing body as null. */
async function noBodyAsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

function cancelRoute(app: FastifyInstance, gateway: SagaGateway): void {
  app.withTypeProvider<ZodTypeProvider>().post('/v1/sagas/:id/cancel', {
    preValidation: [noBodyAsEmpty, refuseIllFormedText],
    schema: {
      operationId: 'cancelSaga',
      summary: 'Cancel a saga',
      description: 'Cancel a saga before its pivot: what was done is undone and it ends COMPENSATED. After the pivot: 409. The body is optional.',
      params: IdParamsSchema,
      body: CancelBodySchema,
      response: { 200: SagaViewSchema, 202: SagaViewSchema, ...problemResponses },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const outcome = await gateway.cancel(id, request.clientId, { reason: request.body?.reason ?? 'cancelled by the client' });
    const problem = commandProblem(id, outcome);
    if (problem) throw problem;
    const view = await gateway.view(id, request.clientId);
    if (!view) throw notFound(id);
    return answerWithView(request, reply, gateway, view);
  });
}
