import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './problems';

/**
 * How long a key means its saga: Temporal keeps a saga while it runs and for the namespace's retention
 * period after it ends, and the key is answered from that record. After that the key is free again and
 * starts a new saga (a new run, whose backend calls carry keys of their own, so nothing old is replayed).
 */
export const KEY_LIFETIME = "the saga's life plus the Temporal namespace's retention period after it ends (24 hours on the dev server)";

/** The saga id is derived from the client and its Idempotency-Key, so a retry finds the same saga. */
export function sagaIdFor(clientId: string, idempotencyKey: string): string {
  const hash = createHash('sha256').update(`${clientId}\n${idempotencyKey}`).digest('base64url').slice(0, 26);
  return `saga-${hash}`;
}

/** What makes two requests "the same": the saga type and the parsed body, as canonical JSON. */
export function requestHash(type: string, body: unknown): string {
  return createHash('sha256').update(canonicalJson({ type, body })).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (key === undefined) throw new HttpProblem(400, 'idempotency-key-required', 'Idempotency-Key required', 'Idempotency-Key: send a unique key (1 to 255 characters) with every start request');
  if (typeof key !== 'string' || key.length < 1 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw new HttpProblem(400, 'validation', 'The request is not valid', 'Idempotency-Key: must be 1 to 255 visible ASCII characters, sent once');
  }
  return key;
}

/** `Prefer: wait=N` (N up to 60): how long the client is willing to wait for the saga to end. */
export function preferWaitMs(request: FastifyRequest): number | null {
  const prefer = request.headers.prefer;
  if (typeof prefer !== 'string') return null;
  const match = /(?:^|[,;\s])wait=(\d{1,3})(?:$|[,;\s])/.exec(prefer);
  if (!match) return null;
  return Math.min(Number(match[1]), 60) * 1_000;
}
