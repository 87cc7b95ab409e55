import { randomUUID } from 'node:crypto';
import { sagaIdFor } from '../../src/api/idempotency';
import { API_KEY, CLIENT_ID } from './stack';

export interface Answer<T = Record<string, any>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A client app's call to the API, over real HTTP. */
export async function call<T = Record<string, any>>(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; key?: string | null; idempotencyKey?: string | null; prefer?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? API_KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey !== null && method === 'POST' && !path.includes('/sagas/')) {
    headers['idempotency-key'] = options.idempotencyKey ?? randomUUID();
  }
  if (options.prefer) headers.prefer = options.prefer;
  const res = await fetch(base + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(90_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

/** The records a simulated backend holds, as a test reads them to check that nothing leaked. */
export async function backendRecords(backendsUrl: string, service: string, sagaId?: string): Promise<Array<Record<string, any>>> {
  const res = await fetch(`${backendsUrl}/${service}/_admin/state`);
  const { records } = (await res.json()) as { records: Array<Record<string, any>> };
  return sagaId ? records.filter((r) => r.sagaId === sagaId) : records;
}

/**
 * An Idempotency-Key and the id of the saga it will start for the test client (CLIENT_ID, with API_KEY), known
 * before the call: a fault can then be scoped to that saga (`sagaId` in the fault), so tests run side by side.
 */
export function sagaKey(): { idempotencyKey: string; sagaId: string } {
  const idempotencyKey = randomUUID();
  return { idempotencyKey, sagaId: sagaIdFor(CLIENT_ID, idempotencyKey) };
}

/**
 * The counted faults injected for one saga that never fired: a test whose fault never hit its saga
 * would otherwise pass on the happy path. Empty when each fired at least once (a fault counted past a
 * step's retries keeps the rest).
 */
export async function unfiredFaults(backendsUrl: string, services: string[], sagaId: string): Promise<string[]> {
  const unfired: string[] = [];
  for (const service of new Set(services)) {
    const res = await fetch(`${backendsUrl}/${service}/_admin/faults`);
    const { faults } = (await res.json()) as { faults: Array<{ op: string; mode: string; sagaId?: string; count?: number; remaining: number | null }> };
    for (const f of faults) if (f.sagaId === sagaId && f.count !== undefined && f.remaining === f.count) unfired.push(`${service} ${f.op} ${f.mode}: never fired`);
  }
  return unfired;
}

export async function injectFault(backendsUrl: string, service: string, fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${backendsUrl}/${service}/_admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (res.status !== 201) throw new Error(`fault not accepted: ${await res.text()}`);
}

export async function clearFaults(backendsUrl: string, service: string): Promise<void> {
  await fetch(`${backendsUrl}/${service}/_admin/faults`, { method: 'DELETE' });
}

/**
 * Polls `check` until it returns something other than undefined, null or false, and returns that.
 * Bounded in time: past `timeoutMs` it throws, naming what it waited for and the last thing it saw.
 */
export async function waitFor<T>(what: string | (() => string), check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const seen = await check();
    if (seen !== undefined && seen !== null && seen !== false) return seen;
    last = seen;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${typeof what === 'string' ? what : what()}; last saw ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Polls the saga view until `done` says so; bounded in time, and stops by itself. */
export async function waitForView(base: string, sagaId: string, done: (view: Record<string, any>) => boolean, timeoutMs = 30_000): Promise<Record<string, any>> {
  let last: Record<string, any> = {};
  let lastStatus = 0;
  return waitFor(
    () => `saga ${sagaId} to get there (last answer ${lastStatus}: ${JSON.stringify(last)})`,
    async () => {
      const answer = await call(base, 'GET', `/v1/sagas/${sagaId}`);
      last = answer.body;
      lastStatus = answer.status;
      return answer.status === 200 && done(last) ? last : undefined;
    },
    timeoutMs,
  );
}

/**
 * Waits until the list endpoint (eventually consistent: it reads Temporal's visibility store) shows
 * an item that `match` accepts, for the query in `search`.
 */
export function waitForListed(base: string, search: string, match: (item: Record<string, any>) => boolean, key?: string): Promise<Record<string, any>> {
  return waitFor(`GET /v1/sagas?${search} to list it`, async () => {
    const list = await call(base, 'GET', `/v1/sagas?${search}`, { key });
    return (list.body.items as Array<Record<string, any>> | undefined)?.find(match);
  });
}

/** How many calls a backend service is handling right now (a slow one included). */
export async function callsInFlight(backendsUrl: string, service: string): Promise<number> {
  const res = await fetch(`${backendsUrl}/${service}/_admin/state`);
  return ((await res.json()) as { inFlight: number }).inFlight;
}
