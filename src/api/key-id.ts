import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Which of a client's keys sent the request, as the audit records it: the first 12 hex digits of the key's
 * SHA-256, a fingerprint that tells two keys of one client apart and never shows the key itself.
 */
export function keyIdOf(request: FastifyRequest): string {
  const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
  return match ? `sha256:${createHash('sha256').update(match[1]!).digest('hex').slice(0, 12)}` : 'none';
}
