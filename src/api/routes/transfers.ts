import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FailureType } from '../../domain/failures';
import type { SagaTuning } from '../../domain/saga';
import { ComplianceReviewSchema, TransferRequestSchema, type TransferRequest } from '../../domain/transfer-request';
import { presentView } from '../present';
import { HttpProblem } from '../problems';
import type { SagaGateway } from '../saga-gateway';
import { SagaIdSchema } from '../schemas';
import { returnSagaId, type TransferGateway } from '../transfer-gateway';
import { commandProblem, notFound } from './sagas';
import { registerSagaRoute } from './start-saga';

export interface TransferRouteOptions {
  tuning: SagaTuning;
}

/** The refusals of a review that are the officer's conflict with the transfer's state: 409. */
const REVIEW_CONFLICTS = new Set<string>([FailureType.AlreadyReviewed, FailureType.NotAwaitingReview, 'NotRunning']);

export function transferRoutes(app: FastifyInstance, gateway: SagaGateway, transfers: TransferGateway, options: TransferRouteOptions): void {
  registerSagaRoute(app, gateway, {
    path: '/v1/transfers',
    type: 'transfer',
    workflow: 'crossBorderTransfer',
    schema: TransferRequestSchema,
    operationId: 'startTransfer',
    summary: 'Send money abroad',
    example: {
      debtor: { iban: 'DE89370400440532013000', currency: 'EUR' },
      beneficiary: { name: 'Claire Dubois', iban: 'FR7630006000011234567890189', bic: 'BNPAFRPP', country: 'FR', address: { line: '1 rue de Rivoli', city: 'Paris' }, currency: 'EUR' },
      amount: { value: '250.00', currency: 'EUR' },
      amountIs: 'sent',
      chargeBearer: 'SHAR',
      remittanceInformation: 'Invoice 2027-041',
      reviewSeconds: 86_400,
    } as unknown as TransferRequest,
    description:
      'A cross-border transfer: sanctions screening (a potential match waits for two compliance officers), a locked rate when the currencies differ, a funds hold on the core system, the pacs.008 to the payment network (its UETR is the transfer\'s reference), the network\'s report, a balanced posting and a notification.',
    toInput: (transfer: TransferRequest, requestedBy) => ({ transfer, tuning: options.tuning, requestedBy }),
    runSummary: (t: TransferRequest) => `Transfer of ${t.amount.value} ${t.amount.currency} (${t.amountIs}) to ${t.beneficiary.bic}, ${t.beneficiary.country}`,
  });

  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/transfers/:id', {
    schema: { operationId: 'getTransfer', summary: 'Read a transfer, with its return if the money came back', params: z.object({ id: SagaIdSchema }) },
  }, async (request) => {
    const view = await gateway.view(request.params.id, request.clientId);
    if (!view || view.type !== 'transfer') throw notFound(request.params.id);
    const returned = await gateway.view(returnSagaId(view.id), request.clientId);
    return { ...presentView(view), return: returned ? { sagaId: returned.id, status: returned.status } : null };
  });

  typed.post('/v1/ops/transfers/:id/review', {
    schema: { hide: true, params: z.object({ id: SagaIdSchema }), body: ComplianceReviewSchema },
  }, async (request) => {
    const { id } = request.params;
    const outcome = await transfers.review(id, { operator: request.operator!, decision: request.body.decision, reason: request.body.reason });
    if (outcome.kind === 'refused' && REVIEW_CONFLICTS.has(outcome.code)) {
      throw new HttpProblem(409, 'review-not-allowed', 'The transfer refused the review', outcome.reason, { code: outcome.code });
    }
    const problem = commandProblem(id, outcome);
    if (problem) throw problem;
    request.log.warn({ sagaId: id, decision: request.body.decision, operator: request.operator! }, 'compliance review');
    return outcome.kind === 'done' ? outcome.value : null;
  });
}
