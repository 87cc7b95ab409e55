import { randomUUID } from 'node:crypto';

export interface Ticket {
  kind: string;
  path: string;
  body: unknown;
  key: string;
  sagaId: string | null;
  attempts: number;
  /** For a bike checkout: whether the door sensor reports its bikes. */
  sense?: boolean;
}

export interface ApiStats {
  /** Responses by status while starting sagas (a 500 is a broken promise; a 503 must say Retry-After). */
  byStatus: Map<number, number>;
  unavailableWithoutRetryAfter: number;
  connectionErrors: number;
}

export function newStats(): ApiStats {
  return { byStatus: new Map(), unavailableWithoutRetryAfter: 0, connectionErrors: 0 };
}

export function ticket(kind: string, path: string, body: unknown): Ticket {
  return { kind, path, body, key: `chaos-${kind}-${randomUUID()}`, sagaId: null, attempts: 0 };
}

/**
 * Starts a saga the way a careful client app does: on a refused connection, a timeout, a 429 or a 503
 * it waits (Retry-After when given) and sends the same request with the same Idempotency-Key again.
 */
export async function startWithRetry(api: () => string, apiKey: string, t: Ticket, stats: ApiStats, deadline: number): Promise<void> {
  while (Date.now() < deadline && t.sagaId === null) {
    t.attempts += 1;
    try {
      const res = await fetch(`${api()}${t.path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': t.key, 'content-type': 'application/json' },
        body: JSON.stringify(t.body),
        signal: AbortSignal.timeout(10_000),
      });
      stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
      const body = (await res.json().catch(() => ({}))) as { id?: string };
      if (res.status === 200 || res.status === 202) {
        t.sagaId = body.id ?? null;
        return;
      }
      if (res.status === 503 && !res.headers.get('retry-after')) stats.unavailableWithoutRetryAfter += 1;
      if (res.status < 500 && res.status !== 429 && res.status !== 409) return;
      await pause(retryAfterMs(res.headers.get('retry-after')));
    } catch {
      stats.connectionErrors += 1;
      await pause(500);
    }
  }
}

function retryAfterMs(header: string | null): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 2) * 1_000 : 500;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads a saga view, tolerating an API that is down right now. */
export async function readView(api: () => string, apiKey: string, sagaId: string): Promise<Record<string, any> | null> {
  try {
    const res = await fetch(`${api()}/v1/sagas/${sagaId}`, { headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(10_000) });
    return res.status === 200 ? ((await res.json()) as Record<string, any>) : null;
  } catch {
    return null;
  }
}
