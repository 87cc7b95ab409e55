/**
 * How a saga's run ends. The final status goes into the audit trail before the view shows it (a STUCK
 * write keeps the saga listed for operators); a saga that failed after its pivot also alerts an operator.
 */
import { log } from '@temporalio/workflow';
import type { SagaError, SagaStatus, SagaView } from '../domain/saga';
import type { SagaContext } from './saga-context';
import type { SagaTrail } from './saga-trail';

export async function finishSaga<R>(ctx: SagaContext, trail: SagaTrail, status: SagaStatus, result: R | null, error: SagaError | null): Promise<SagaView<R>> {
  if (trail.enabled) await trail.final(status, error);
  return ctx.record.finish<R>(status, result, error);
}

/** FAILED after the pivot: nothing is undone, and an operator is told. */
export async function failSaga<R>(ctx: SagaContext, trail: SagaTrail, error: SagaError): Promise<SagaView<R>> {
  log.error('saga failed after its pivot; it needs an operator', { sagaId: ctx.id, error });
  if (trail.enabled && ctx.caller.declared) {
    // The alert goes out first: a final status the audit store does not take must not hide this saga.
    const alerted = ctx.alert('FAILED', error.step, error.message).catch(() => undefined);
    const failed = await finishSaga<R>(ctx, trail, 'FAILED', null, error);
    await alerted;
    return failed;
  }
  const view = await finishSaga<R>(ctx, trail, 'FAILED', null, error);
  // An alert refused for good (webhook 4xx) must not turn the FAILED view into a failed workflow.
  if (ctx.caller.declared) await ctx.alert('FAILED', error.step, error.message).catch(() => undefined);
  return view;
}
