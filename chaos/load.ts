import { randomUUID } from 'node:crypto';
import type { TransferCase } from './transfers';

export interface Ticket {
  kind: string;
  path: string;
  body: unknown;
  key: string;
  sagaId: string | null;
  attempts: number;
  /** For a bike checkout: whether the door sensor reports its bikes. */
  sense?: boolean;
  /** For a transfer: which of the campaign's cases it is. */
  transfer?: TransferCase;
}

export interface ApiStats {
  /** Answers to every request the campaign sends the API, by status (a 500 is a broken promise; a 503 must say Retry-After). */
  byStatus: Map<number, number>;
  /** The same, by what was asked (`start`, `read`, `cancel`, `sensor`, `operator`, `events`, `probe`). */
  byRequest: Map<string, number>;
  /** Where the 5xx answers came from, `what status`. */
  serverErrors: Map<string, number>;
  unavailableWithoutRetryAfter: number;
  connectionErrors: number;
}

export function newStats(): ApiStats {
  return { byStatus: new Map(), byRequest: new Map(), serverErrors: new Map(), unavailableWithoutRetryAfter: 0, connectionErrors: 0 };
}

/** Every answer the campaign gets from the API, whatever asked: the "never 500" invariant reads it. */
export const apiAnswers = newStats();

const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

/**
 * A request to the API, counted in `apiAnswers` (status, or a connection error); null when no answer came.
 * The body is left for the caller.
 */
export async function apiFetch(what: string, url: string, init: RequestInit = {}): Promise<Response | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000), ...init });
    bump(apiAnswers.byStatus, res.status);
    bump(apiAnswers.byRequest, what);
    if (res.status >= 500) bump(apiAnswers.serverErrors, `${what} ${res.status}`);
    if (res.status === 503 && !res.headers.get('retry-after')) apiAnswers.unavailableWithoutRetryAfter += 1;
    return res;
  } catch {
    apiAnswers.connectionErrors += 1;
    return null;
  }
}

export function ticket(kind: string, path: string, body: unknown): Ticket {
  return { kind, path, body, key: `chaos-${kind}-${randomUUID()}`, sagaId: null, attempts: 0 };
}

/**
 * Starts a saga the way a careful client app does: on a refused connection, a timeout, a 429 or a 503
 * it waits (Retry-After when given) and sends the same request with the same Idempotency-Key again.
 */
export async function startWithRetry(api: () => string, apiKey: string, t: Ticket, deadline: number): Promise<void> {
  while (Date.now() < deadline && t.sagaId === null) {
    t.attempts += 1;
    const res = await apiFetch('start', `${api()}${t.path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': t.key, 'content-type': 'application/json' },
      body: JSON.stringify(t.body),
    });
    if (!res) {
      await pause(500);
      continue;
    }
    const body = (await res.json().catch(() => ({}))) as { id?: string };
    if (res.status === 200 || res.status === 202) {
      t.sagaId = body.id ?? null;
      return;
    }
    if (res.status < 500 && res.status !== 429 && res.status !== 409) return;
    await pause(retryAfterMs(res.headers.get('retry-after')));
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
  const res = await apiFetch('read', `${api()}/v1/sagas/${sagaId}`, { headers: { authorization: `Bearer ${apiKey}` } });
  if (res?.status !== 200) return null;
  return ((await res.json().catch(() => null)) as Record<string, any> | null);
}
