/**
 * The saga's cancel update. Before the pivot, while the saga runs, a cancel is accepted: its reason is kept
 * and the saga's scope cancelled, so the body stops and the saga compensates. Past the pivot, or once a
 * saga says it keeps what it did, a cancel is refused with the reason.
 */
import { ApplicationFailure, CancellationScope, defineUpdate, setHandler } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { Messages, type CancelRequest } from '../domain/messages';
import type { SagaError, SagaStatus } from '../domain/saga';
import type { SagaContext } from './saga-context';

export const cancelUpdate = defineUpdate<{ status: SagaStatus }, [CancelRequest]>(Messages.cancelUpdate);

export class SagaCancels {
  constructor(
    private readonly ctx: SagaContext,
    private readonly scope: CancellationScope,
  ) {}

  accept(): void {
    setHandler(cancelUpdate, (request) => this.requestCancel(request), {
      validator: (_request: CancelRequest) => this.validateCancel(),
    });
  }

  refuse(reason: string): void {
    setHandler(cancelUpdate, (request) => this.requestCancel(request), {
      validator: (_request: CancelRequest) => {
        throw ApplicationFailure.nonRetryable(reason, 'PastPivot');
      },
    });
  }

  private validateCancel(): void {
    const { pivotState, record } = this.ctx;
    if (pivotState === 'passed' || pivotState === 'inFlight') {
      throw ApplicationFailure.nonRetryable('the saga passed its pivot and can no longer be cancelled', 'PastPivot');
    }
    const { status } = record.view;
    if (status !== 'RUNNING') throw ApplicationFailure.nonRetryable(`the saga is already ${status}`, 'NotRunning');
  }

  private requestCancel(request: CancelRequest): { status: SagaStatus } {
    this.stop({ type: FailureType.Cancelled, message: request.reason || 'cancelled by the client', step: this.ctx.record.currentStep() });
    return { status: 'COMPENSATING' };
  }

  private stop(reason: SagaError): void {
    this.ctx.stopReason ??= reason;
    this.scope.cancel();
  }
}
