import type { FastifyRequest } from 'fastify';

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a W3C `traceparent` header, or null when there is none or it is not well formed. */
export function traceIdOf(header: string | string[] | undefined): string | null {
  const match = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
  return match && !/^0+$/.test(match[1]!) ? match[1]! : null;
}

/** An onRequest hook: every line logged for this request carries the caller's trace id. */
export async function logTraceId(request: FastifyRequest): Promise<void> {
  const traceId = traceIdOf(request.headers.traceparent);
  if (traceId) request.log = request.log.child({ traceId });
}
