import FastifyOtelInstrumentation from '@fastify/otel';

/**
 * A server span per API request (@fastify/otel), continuing a caller's `traceparent`; the saga's
 * workflow start becomes its child. Scrapes and health checks are left out.
 */
export function requestTracing() {
  const instrumentation = new FastifyOtelInstrumentation({
    ignorePaths: (route) => route.url === '/metrics' || route.url.startsWith('/healthz') || route.url.startsWith('/readyz'),
    // The request span and the handler's; a span per lifecycle hook says little about a saga.
    instrumentHooks: false,
    requestHook: (span, request) => span.updateName(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`),
  });
  return instrumentation.plugin();
}
