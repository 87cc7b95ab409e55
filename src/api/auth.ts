import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './problems';

declare module 'fastify' {
  interface FastifyRequest {
    clientId: string;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Checks `Authorization: Bearer <key>` against the configured keys. Keys are compared as digests with
 * timingSafeEqual, every key every time, so neither length nor position leaks through timing.
 */
export function createAuthenticator(keys: Map<string, string>) {
  const known = [...keys.entries()].map(([key, clientId]) => ({ digest: digest(key), clientId }));
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(header) : null;
    if (!match) throw unauthorized('send Authorization: Bearer <api key>');
    const presented = digest(match[1]!);
    let clientId: string | null = null;
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented)) clientId = candidate.clientId;
    }
    if (!clientId) throw unauthorized('the API key is not valid');
    request.clientId = clientId;
  };
}

function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, 'unauthorized', 'Unauthorized', detail, {}, { 'www-authenticate': 'Bearer realm="sagaway"' });
}
