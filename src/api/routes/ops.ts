import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SagaTypes } from '../../domain/saga';
import type { OpsGateway } from '../ops-gateway';
import { presentView } from '../present';
import { HttpProblem } from '../problems';
import type { CommandOutcome } from '../saga-gateway';
import { SagaIdSchema } from '../schemas';

const StepParamsSchema = z.object({ id: SagaIdSchema, step: z.string().regex(/^[A-Za-z0-9_:.#~-]{1,80}$/, 'not a step name') });
const ActionBodySchema = z.object({ reason: z.string().trim().min(1, 'a reason is required').max(500) });
const KeyValueSchema = z.string().regex(/^[A-Za-z0-9_.:@-]{1,64}$/, 'letters, digits and _ . : @ - only');
const AttentionQuerySchema = z.object({
  stuck: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  type: z.enum(SagaTypes).optional(),
  customer: KeyValueSchema.optional(),
  kiosk: KeyValueSchema.optional(),
  student: KeyValueSchema.optional(),
  section: KeyValueSchema.optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(50),
});

/**
 * Operator routes: act on any client's saga and find the ones that need a person. They live under
 * /v1/ops, where the auth hooks let only operator keys in (a client key is a 403); they are left out of
 * the public OpenAPI document.
 */
export function opsRoutes(app: FastifyInstance, ops: OpsGateway): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  // give-back: a unit's door an operator found shut; the unit is given back (the saga refuses it on any other step).
  for (const [path, action] of [['retry', 'retry'], ['resolve', 'resolve'], ['give-back', 'giveBack']] as const) {
    typed.post(`/v1/ops/sagas/:id/steps/:step/${path}`, {
      schema: { hide: true, params: StepParamsSchema, body: ActionBodySchema },
    }, async (request) => {
      const { id, step } = request.params;
      const outcome = await ops.act(id, { action, step, operator: request.operator!, reason: request.body.reason });
      const problem = actionProblem(id, step, outcome);
      if (problem) throw problem;
      request.log.warn({ sagaId: id, step, action, operator: request.operator! }, 'operator action');
      const view = await ops.view(id);
      return view ? presentView(view) : outcome.kind === 'done' ? outcome.value : null;
    });
  }

  typed.get('/v1/ops/sagas', {
    schema: { hide: true, querystring: AttentionQuerySchema },
  }, async (request) => {
    const { stuck, type, pageSize, ...keys } = request.query;
    return { items: await ops.attention({ stuck, type, pageSize, keys }) };
  });
}

/** UnknownStep is a 404; a step that is not in a state that allows the action, or an ended saga, a 409. */
function actionProblem(id: string, step: string, outcome: CommandOutcome): HttpProblem | null {
  if (outcome.kind === 'not-found') return new HttpProblem(404, 'saga-not-found', 'Saga not found', `no saga ${id}`);
  if (outcome.kind !== 'refused') return null;
  if (outcome.code === 'UnknownStep') return new HttpProblem(404, 'step-not-found', 'Step not found', outcome.reason, { step });
  const reason = outcome.code === 'ReferenceError' ? 'this saga\'s workflow code takes no operator actions' : outcome.reason;
  return new HttpProblem(409, 'action-not-allowed', 'The saga refused the action', reason, { code: outcome.code, step });
}
