import { AsyncLocalStorage } from 'node:async_hooks';
import { ApplicationFailure, CompleteAsyncError, Context } from '@temporalio/activity';
import type { StepCall } from '../domain/steps';

/** What every sagaway activity returns, so the saga view can show how many attempts a step took. */
export interface Attempted<T> {
  value: T;
  attempt: number;
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

export type Reported<A> = {
  [K in keyof A]: A[K] extends (input: infer I) => Promise<infer R> ? (input: I, call?: StepCall) => Promise<Attempted<R>> : never;
};

const stepCalls = new AsyncLocalStorage<StepCall>();

/**
 * The step and Idempotency-Key the saga engine passed with this call (its second argument), or undefined
 * for a saga started before the engine passed them; the caller then derives both the old way.
 */
export function stepCallOf(): StepCall | undefined {
  return stepCalls.getStore();
}

function isStepCall(value: unknown): value is StepCall {
  const call = value as StepCall | undefined;
  return typeof call?.step === 'string' && typeof call.key === 'string';
}

/**
 * Wraps activities so a result carries its attempt number and a failure carries it in its details.
 * The failure keeps its type and retryability: the error layers are unchanged.
 */
export function reportAttempts<A extends Record<string, AnyActivity>>(activities: A): Reported<A> {
  const wrapped: Record<string, (...args: never[]) => Promise<Attempted<unknown>>> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args) => {
      const { info, log } = Context.current();
      const attempt = info.attempt;
      const second: unknown = args[1];
      const call = isStepCall(second) ? second : undefined;
      const step = call?.step ?? info.activityId;
      try {
        const value = call ? await stepCalls.run(call, () => fn(args[0] as never)) : await fn(...args);
        log.info('step done', { step, attempt });
        return { value, attempt };
      } catch (err) {
        // An activity that a callback completes later (the payment network's report) stays open as it is.
        if (err instanceof CompleteAsyncError) throw err;
        const failure = withAttempt(err, attempt);
        // Temporal's timeout of a later attempt carries the last heartbeat, not the last failure: kept there,
        // a step that times out after failed attempts still says what they answered (failures.ts, timedOut).
        // A failure that is not retried ends the activity with its own message: nothing to keep.
        if (!info.isLocal && !failure.nonRetryable) Context.current().heartbeat({ lastError: [...failure.message].slice(0, LAST_ERROR_CHARS).join('') });
        log.warn('step attempt failed', { step, attempt, error: failure.message, retryable: !failure.nonRetryable });
        throw failure;
      }
    };
  }
  return wrapped as Reported<A>;
}

/** How much of a failed attempt's message its heartbeat keeps. */
const LAST_ERROR_CHARS = 500;

function withAttempt(err: unknown, attempt: number): ApplicationFailure {
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? false,
      details: [{ attempt, details: err.details ?? [] }],
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.retryable(message, 'TransientError', { attempt });
}
