import { Context } from '@temporalio/activity';
import { CancelledFailure, TerminatedFailure, TimeoutFailure, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SagaView } from '../domain/saga';
import type { TransferEnd } from '../domain/transfer';

/** How long one attempt waits for the transfer; then it fails and Temporal retries it, without end. */
export const TRANSFER_WAIT_WINDOW_MS = 60_000;
const HEARTBEAT_EVERY_MS = 5_000;

/**
 * `awaitTransferEnd`: how a transfer ended, for a return that arrived while it was still posting. One
 * attempt long-polls the transfer's result for a window and heartbeats meanwhile (a worker that dies is
 * noticed by the heartbeat timeout); a transfer still running at the end of the window, or a Temporal that
 * does not answer, fails the attempt with a plain error, so the next attempt waits again.
 */
export function createTransferWaitActivities(temporal: { client: Client } | null) {
  return {
    async awaitTransferEnd({ transferId }: { transferId: string }): Promise<TransferEnd> {
      if (!temporal) throw new Error('this worker has no Temporal client to wait for a transfer with');
      const ctx = Context.current();
      const window = new AbortController();
      const onCancel = () => window.abort();
      ctx.cancellationSignal.addEventListener('abort', onCancel);
      const timer = setTimeout(() => window.abort(), TRANSFER_WAIT_WINDOW_MS);
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const view = await temporal.client.withAbortSignal(window.signal, () => temporal.client.workflow.getHandle<() => Promise<SagaView>>(transferId).result());
        return { status: view.status, error: view.error?.message ?? null };
      } catch (err) {
        const ended = endedOtherwise(err);
        if (ended) return ended;
        if (window.signal.aborted) throw new Error(`the transfer ${transferId} is still running`);
        throw err;
      } finally {
        clearTimeout(timer);
        clearInterval(beat);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
      }
    },
  };
}

/** A transfer that ended without returning its view (failed, terminated, timed out, cancelled) or is gone. */
function endedOtherwise(err: unknown): TransferEnd | null {
  if (err instanceof WorkflowNotFoundError) return { status: 'NOT_FOUND', error: err.message };
  if (!(err instanceof WorkflowFailedError)) return null;
  const cause = err.cause;
  const status = cause instanceof TerminatedFailure ? 'TERMINATED' : cause instanceof TimeoutFailure ? 'TIMED_OUT' : cause instanceof CancelledFailure ? 'CANCELLED' : 'FAILED';
  return { status, error: cause?.message ?? err.message };
}

export type TransferWaitActivities = ReturnType<typeof createTransferWaitActivities>;
