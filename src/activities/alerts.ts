import type { Alert } from '../domain/operator';

/** Tells the operators a step is STUCK or a saga ended FAILED. A no-op until the webhook lands (obs). */
export async function sendAlert(_alert: Alert): Promise<void> {}
