import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Logger } from 'pino';

export interface TemporalSettings {
  address: string;
  namespace: string;
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

/**
 * Where Temporal is and how to reach it, from Temporal's own environment configuration
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, or a TOML profile), so the
 * same worker and API run against the embedded dev server, a self-hosted cluster or Temporal Cloud.
 */
export function temporalSettings(): TemporalSettings {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const address = connectionOptions.address ?? '127.0.0.1:7233';
  return { address, namespace: namespace ?? 'default', connectionOptions: { ...connectionOptions, address } };
}

/** Retries `connect` with capped backoff until it succeeds or `signal` aborts; says what it is waiting for. */
export async function waitFor<T>(what: string, connect: () => Promise<T>, logger: Logger, signal?: AbortSignal): Promise<T> {
  let delayMs = 250;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await connect();
    } catch (err) {
      if (signal?.aborted) throw err;
      if (attempt === 1 || attempt % 10 === 0) {
        logger.warn({ attempt, err: (err as Error).message }, `waiting for ${what}`);
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 5_000);
    }
  }
}
