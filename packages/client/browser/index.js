export { SagawayClient, newIdempotencyKey } from './client.js';
export { SagawayNetworkError, SagawayProblem, SagawayTimeout } from './errors.js';
