import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpProblem } from './problems';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client a client key belongs to; '' for an operator or an anonymous caller. */
    clientId: string;
    /** The operator an operator key belongs to, or null. */
    operator: string | null;
    /** The auditor an auditor key belongs to, or null: the audit routes only, read-only. */
    auditor: string | null;
  }
  interface FastifyInstance {
    /** preHandler for operator routes (/v1/ops, the codec): an operator key, or 401/403. */
    requireOperator: (request: FastifyRequest) => Promise<void>;
  }
}

export type Identity = { role: 'client'; id: string } | { role: 'operator'; id: string } | { role: 'auditor'; id: string };

/** Where operator actions live; client keys never reach them and operator keys never act as a client. */
export const OPERATOR_PREFIX = '/v1/ops';

/** Where the audit trail is read; only auditor keys reach it, and an auditor key reaches nothing else. */
export const AUDIT_PREFIX = '/v1/audit';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Knows every client and operator key. Keys are compared as digests with timingSafeEqual, every key
 * every time, so neither length nor position leaks through timing.
 */
export class KeyRing {
  private readonly known: Array<{ digest: Buffer; identity: Identity }>;

  constructor(clientKeys: Map<string, string>, operatorKeys: Map<string, string> = new Map(), auditorKeys: Map<string, string> = new Map()) {
    this.known = [
      ...[...clientKeys].map(([key, id]) => ({ digest: digest(key), identity: { role: 'client', id } as Identity })),
      ...[...operatorKeys].map(([key, id]) => ({ digest: digest(key), identity: { role: 'operator', id } as Identity })),
      ...[...auditorKeys].map(([key, id]) => ({ digest: digest(key), identity: { role: 'auditor', id } as Identity })),
    ];
  }

  /** Who sent this request, or why not known; never throws. */
  identify(request: FastifyRequest): Identity | { role: null; why: string } {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(header) : null;
    if (!match) return { role: null, why: 'send Authorization: Bearer <api key>' };
    const presented = digest(match[1]!);
    let found: Identity | null = null;
    for (const candidate of this.known) {
      if (timingSafeEqual(candidate.digest, presented)) found = candidate.identity;
    }
    return found ?? { role: null, why: 'the API key is not valid' };
  }
}

/**
 * Sets who is calling on every request of the scope (onRequest), without refusing anyone yet: the rate
 * limit counts the request first (per client, or per address when anonymous); `refuseUnknown` then
 * answers 401 before the body is read.
 */
export function identifyCallers(scope: FastifyInstance, ring: KeyRing): void {
  scope.addHook('onRequest', async (request) => {
    const identity = ring.identify(request);
    if (identity.role === 'client') request.clientId = identity.id;
    if (identity.role === 'operator') request.operator = identity.id;
    if (identity.role === 'auditor') request.auditor = identity.id;
  });
}

/** preParsing: anonymous callers get a 401, and each role stays on its own routes (403). */
export function refuseUnknown(ring: KeyRing) {
  return async function checkRole(request: FastifyRequest): Promise<void> {
    if (!request.clientId && !request.operator && !request.auditor) throw unauthorized(whyUnknown(ring, request));
    const route = request.routeOptions.url ?? request.url;
    const auditRoute = route === AUDIT_PREFIX || route.startsWith(`${AUDIT_PREFIX}/`);
    if (auditRoute && !request.auditor) throw forbidden('this route needs an auditor key (SAGAWAY_AUDITOR_KEYS)');
    if (!auditRoute && request.auditor) throw forbidden('an auditor key reads the audit trail (/v1/audit) and nothing else');
    if (auditRoute) return;
    const operatorRoute = route.startsWith(OPERATOR_PREFIX);
    if (operatorRoute && !request.operator) throw forbidden('this route needs an operator key (SAGAWAY_OPERATOR_KEYS)');
    if (!operatorRoute && request.operator) throw forbidden('an operator key does not act as a client; use a client key');
  };
}

/** Request fields and the `requireOperator` decorator, once on the root app so every scope has them. */
export function decorateAuth(app: FastifyInstance, ring: KeyRing): void {
  app.decorateRequest('clientId', '');
  app.decorateRequest('operator', null);
  app.decorateRequest('auditor', null);
  app.decorate('requireOperator', operatorGuard(ring));
}

/** The preHandler other routes use for operator actions; it authenticates on its own where nothing did. */
export function operatorGuard(ring: KeyRing) {
  return async function requireOperator(request: FastifyRequest): Promise<void> {
    if (request.operator) return;
    const identity = ring.identify(request);
    if (identity.role === 'operator') {
      request.operator = identity.id;
      return;
    }
    if (identity.role === 'client' || identity.role === 'auditor') throw forbidden('this route needs an operator key (SAGAWAY_OPERATOR_KEYS)');
    throw unauthorized(identity.why);
  };
}

/** The per-minute budget a request spends: its client's or operator's, or its address's when anonymous. */
export function rateKeyOf(request: FastifyRequest): string {
  if (request.clientId) return `client:${request.clientId}`;
  if (request.operator) return `operator:${request.operator}`;
  if (request.auditor) return `auditor:${request.auditor}`;
  return `address:${request.ip}`;
}

function whyUnknown(ring: KeyRing, request: FastifyRequest): string {
  const identity = ring.identify(request);
  return identity.role === null ? identity.why : 'the API key is not valid';
}

function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, 'unauthorized', 'Unauthorized', detail, {}, { 'www-authenticate': 'Bearer realm="sagaway"' });
}

function forbidden(detail: string): HttpProblem {
  return new HttpProblem(403, 'forbidden', 'Forbidden', detail);
}
