/**
 * The API answered with an RFC 9457 problem: its fields are here as they came. `slug` is the last part of
 * `type` (`idempotency-key-reused`, `past-pivot`, `saga-not-found`, ...), the thing to switch on.
 */
export class SagawayProblem extends Error {
    problem;
    status;
    type;
    slug;
    title;
    detail;
    code;
    /** Seconds the API asked to wait before trying again (429, 503), when it said. */
    retryAfterSeconds;
    constructor(problem, retryAfterSeconds) {
        super(`${problem.status} ${problem.title}: ${problem.detail}`);
        this.problem = problem;
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
    cause;
    attempts;
    constructor(message, cause, attempts) {
        super(message);
        this.cause = cause;
        this.attempts = attempts;
        this.name = 'SagawayNetworkError';
    }
}
/** `waitFor` gave up before the saga got where it was asked to. */
export class SagawayTimeout extends Error {
    sagaId;
    lastStatus;
    constructor(sagaId, lastStatus) {
        super(`saga ${sagaId} did not get there in time (last status ${lastStatus ?? 'unknown'})`);
        this.sagaId = sagaId;
        this.lastStatus = lastStatus;
        this.name = 'SagawayTimeout';
    }
}
