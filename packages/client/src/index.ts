export { SagawayClient, newIdempotencyKey, type ClientOptions, type CommandOptions, type StartOptions, type WaitOptions } from './client.js';
export { SagawayNetworkError, SagawayProblem, SagawayTimeout, type Problem } from './errors.js';
export type { FollowOptions, SagaEvent, StepStatus } from './events.js';
export type { RetryPolicy } from './http.js';
export type * from './types.js';
export type { components, operations, paths } from './openapi.js';
