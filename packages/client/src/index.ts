export { SagawayClient, newIdempotencyKey, type ClientOptions, type CommandOptions, type StartOptions, type WaitOptions } from './client';
export { SagawayNetworkError, SagawayProblem, SagawayTimeout, type Problem } from './errors';
export type { FollowOptions, SagaEvent, StepStatus } from './events';
export type { RetryPolicy } from './http';
export type * from './types';
export type { components, operations, paths } from './openapi';
