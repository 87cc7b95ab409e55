import { ActivityFailure, ApplicationFailure, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import { RetryState, TimeoutType } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import type { SagaError } from '../domain/saga';

/** Turns whatever stopped a saga into the `{ type, message, step }` its view shows. */
export function describeFailure(err: unknown, step: string | null): SagaError {
  if (isCancellation(err)) return { type: FailureType.Cancelled, message: 'cancelled', step };
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) return describeGivenUp(cause, step);
    if (cause instanceof TimeoutFailure) return { type: FailureType.RetriesExhausted, message: timedOut(cause), step };
    return { type: FailureType.RetriesExhausted, message: cause?.message ?? err.message, step };
  }
  // A local activity's failure comes unwrapped: one that gave up after retries (a 5xx, TransientError) is
  // described as an activity's is. The workflow's own failures are all non-retryable with a type: unchanged.
  if (err instanceof ApplicationFailure) return err.nonRetryable ? { type: err.type ?? FailureType.InternalError, message: err.message, step } : describeGivenUp(err, step);
  const message = err instanceof Error ? err.message : String(err);
  return { type: FailureType.InternalError, message, step };
}

/**
 * A timeout after failed attempts names what the last failed attempt answered: each failed attempt leaves
 * it as its heartbeat (activities/attempts.ts), which the timeout carries.
 */
function timedOut(failure: TimeoutFailure): string {
  const details = failure.lastHeartbeatDetails as { lastError?: unknown } | undefined;
  const last = typeof details?.lastError === 'string' ? details.lastError : failure.cause?.message;
  return last ? `timed out (${failure.timeoutType}); the last failed attempt: ${last}` : `timed out (${failure.timeoutType})`;
}

function describeGivenUp(cause: ApplicationFailure, step: string | null): SagaError {
  const type = cause.type === 'TransientError' || !cause.type ? FailureType.RetriesExhausted : cause.type;
  const message = cause.nonRetryable ? cause.message : `gave up after retries: ${cause.message}`;
  return { type, message, step };
}

/**
 * A backend's definitive "no" (a 4xx it answered on purpose): the call had no effect, so its undo is not
 * needed. A malformed answer is not one of these: nobody knows what the backend did.
 */
export function isBusinessRejection(err: unknown): boolean {
  return err instanceof ActivityFailure && isRefusal(err.cause);
}

/** The same for a local activity, whose failure is the activity's own error, not wrapped. */
export function isLocalRejection(err: unknown): boolean {
  return isRefusal(err);
}

function isRefusal(failure: unknown): boolean {
  if (!(failure instanceof ApplicationFailure)) return false;
  return failure.nonRetryable === true && failure.type !== FailureType.MalformedResponse && failure.type !== 'TransientError';
}

/** The attempt a step's activity failed on, as the activity wrapper reports it. */
export function attemptOf(err: unknown): number {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: unknown } | undefined;
    if (typeof detail?.attempt === 'number') return detail.attempt;
  }
  return 1;
}

/** A failure the retry policy does not retry: a refusal, or an answer nobody can read. */
export function isNonRetryable(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable === true;
}

/**
 * A call whose schedule-to-close ran out (a deadline's, a time bound's). The server ends it by that timeout
 * or, when the next retry would land past it, at once with the last failure and the retry state TIMEOUT.
 * Read from the failure the history holds, never from the clock (Patches.clockFree).
 */
export function ranOutOfTime(err: unknown): boolean {
  if (err instanceof ActivityFailure && err.retryState === RetryState.TIMEOUT) return true;
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_CLOSE;
}
