import type { components } from './openapi.js';

export type Problem = components['schemas']['Problem'] & {
  /** The request's path. */
  instance?: string;
  /** The saga's refusal, such as `PastPivot` or `NotAwaitingConfirmation`. */
  code?: string;
  /** For a 400: each field that was not valid. */
  errors?: Array<{ field: string; message: string }>;
  sagaId?: string;
};

/**
 * The API answered with an RFC 9457 problem: its fields are here as they came. `slug` is the last part of
 * `type` (`idempotency-key-reused`, `past-pivot`, `saga-not-found`, ...), the thing to switch on.
 */
export class SagawayProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly slug: string;
  readonly title: string;
  readonly detail: string;
  readonly code: string | undefined;
  /** Seconds the API asked to wait before trying again (429, 503), when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(readonly problem: Problem, retryAfterSeconds?: number) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'SagawayProblem';
    this.status = problem.status;
    this.type = problem.type;
    this.slug = problem.type.split(':').at(-1) ?? problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.code = problem.code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The request never got an answer that could be read, after every retry the client was allowed. */
export class SagawayNetworkError extends Error {
  constructor(message: string, override readonly cause: unknown, readonly attempts: number) {
    super(message);
    this.name = 'SagawayNetworkError';
  }
}

/** `waitFor` gave up before the saga got where it was asked to. */
export class SagawayTimeout extends Error {
  constructor(readonly sagaId: string, readonly lastStatus: string | undefined) {
    super(`saga ${sagaId} did not get there in time (last status ${lastStatus ?? 'unknown'})`);
    this.name = 'SagawayTimeout';
  }
}
