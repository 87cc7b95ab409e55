import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './problems';

declare module 'fastify' {
  interface FastifyRequest {
    operatorId: string;
  }
}

/**
 * Operator keys until the security work brings its own: `SAGAWAY_OPERATOR_KEYS=operatorId:key,...`.
 * Kept in this one module so it can be replaced whole.
 */
export function parseOperatorKeys(spec: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of (spec ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf(':');
    const operatorId = entry.slice(0, at);
    const key = entry.slice(at + 1);
    if (at <= 0 || key.length < 16) throw new Error('SAGAWAY_OPERATOR_KEYS: each entry is operatorId:key with a key of 16 characters or more');
    keys.set(key, operatorId);
  }
  return keys;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Guards the operator routes. Without an operator key (no key, a client's key, a wrong key) they answer
 * exactly as a route that does not exist does, so a client cannot even learn that they are there.
 */
export function createOperatorAuthenticator(keys: Map<string, string>) {
  const known = [...keys.entries()].map(([key, operatorId]) => ({ digest: digest(key), operatorId }));
  return async function authenticateOperator(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(header) : null;
    const presented = digest(match?.[1] ?? '');
    let operatorId: string | null = null;
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented)) operatorId = candidate.operatorId;
    }
    if (!match || !operatorId) throw routeNotFound(request);
    request.operatorId = operatorId;
  };
}

/** The same answer as the app's not-found handler gives. */
function routeNotFound(request: FastifyRequest): HttpProblem {
  return new HttpProblem(404, 'not-found', 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`);
}
