import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpProblem } from '../problems';
import type { CommandOutcome, SagaGateway } from '../saga-gateway';
import { presentView } from '../present';
import { ListQuerySchema, SagaIdSchema, SagaListSchema, SagaViewSchema, problemResponses } from '../schemas';
import { answerWithView } from './start-saga';

const IdParamsSchema = z.object({ id: SagaIdSchema });
const CancelBodySchema = z.object({ reason: z.string().max(500).optional() }).optional();

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
    schema: { description: 'The saga view: live while it runs, the stored result after.', params: IdParamsSchema, response: { 200: SagaViewSchema, ...problemResponses } },
  }, async (request) => {
    const view = await gateway.view(request.params.id, request.clientId);
    if (!view) throw notFound(request.params.id);
    return presentView(view);
  });

  typed.get('/v1/sagas', {
    schema: { description: 'List this client\'s sagas, newest first, from Temporal visibility.', querystring: ListQuerySchema, response: { 200: SagaListSchema, ...problemResponses } },
  }, async (request) => gateway.list(request.clientId, request.query));

  typed.post('/v1/sagas/:id/cancel', {
    schema: {
      description: 'Cancel a saga before its pivot: what was done is undone and it ends COMPENSATED. After the pivot: 409.',
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
