import { ApplicationFailure, Context } from '@temporalio/activity';

/** What every sagaway activity returns, so the saga view can show how many attempts a step took. */
export interface Attempted<T> {
  value: T;
  attempt: number;
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

export type Reported<A> = {
  [K in keyof A]: A[K] extends (...args: infer P) => Promise<infer R> ? (...args: P) => Promise<Attempted<R>> : never;
};

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
      try {
        const value = await fn(...args);
        log.info('step done', { step: info.activityId, attempt });
        return { value, attempt };
      } catch (err) {
        const failure = withAttempt(err, attempt);
        log.warn('step attempt failed', { step: info.activityId, attempt, error: failure.message, retryable: !failure.nonRetryable });
        throw failure;
      }
    };
  }
  return wrapped as Reported<A>;
}

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
