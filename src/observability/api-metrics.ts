import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The API's Prometheus metrics, one registry per process: requests by route and status, their latency,
 * sagas started by type, `Prefer: wait` requests and event streams in progress, and stuck sagas (read
 * from Temporal when scraped, at most once per `stuckCacheMs`).
 */
export const apiRegistry = new Registry();
collectDefaultMetrics({ register: apiRegistry, prefix: 'sagaway_api_' });

export const httpRequests = new Counter({
  name: 'sagaway_http_requests_total',
  help: 'HTTP requests answered, by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [apiRegistry],
});

export const httpDuration = new Histogram({
  name: 'sagaway_http_request_duration_seconds',
  help: 'HTTP request latency, by method and route',
  labelNames: ['method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [apiRegistry],
});

export const sagasStarted = new Counter({
  name: 'sagaway_sagas_started_total',
  help: 'Sagas started, by type (a repeated request with the same Idempotency-Key is not counted)',
  labelNames: ['saga_type'] as const,
  registers: [apiRegistry],
});

export const sagasRefused = new Counter({
  name: 'sagaway_sagas_refused_total',
  help: 'Starts refused at the door by admission control, by type and reason (too-many-running, at-capacity)',
  labelNames: ['saga_type', 'reason'] as const,
  registers: [apiRegistry],
});

/**
 * A pacs.004 refused for good (a 4xx the network stops delivering): money in the nostro account that no
 * saga credits, for an operator to look at. Both reasons start at 0, so an alert on its increase fires
 * on the first one.
 */
export const paymentReturnsRefused = new Counter({
  name: 'sagaway_payment_returns_refused_total',
  help: 'pacs.004 messages refused for good, by reason (return-exists: another return for a returned transfer; transfer-not-completed; transfer-unreadable: it ended terminated)',
  labelNames: ['reason'] as const,
  registers: [apiRegistry],
});
for (const reason of ['return-exists', 'transfer-not-completed', 'transfer-unreadable']) paymentReturnsRefused.inc({ reason }, 0);

export const waitsInProgress = new Gauge({
  name: 'sagaway_waits_in_progress',
  help: 'Requests waiting for a saga to end (Prefer: wait=N)',
  registers: [apiRegistry],
});

export const eventStreamsOpen = new Gauge({
  name: 'sagaway_event_streams_open',
  help: 'Open Server-Sent Events streams',
  registers: [apiRegistry],
});

/** Each app's count of open feeds (an app registers its own, and removes it when it closes). */
export const feedCounts = new Set<() => number>();

new Gauge({
  name: 'sagaway_event_feeds_open',
  help: 'Sagas this API instance is polling for event streams (one poller per saga)',
  registers: [apiRegistry],
  collect() {
    this.set([...feedCounts].reduce((sum, count) => sum + count(), 0));
  },
});

export interface MetricsOptions {
  stuckSagas?: () => Promise<number>;
  stuckCacheMs?: number;
  /**
   * Where `/metrics` is served: on the API's own port (`public`; with `key`, only to a scraper that sends
   * `Authorization: Bearer <key>`), or not on the API at all (`separate`: `serveMetrics` on its own port).
   */
  exposure?: { kind: 'public'; key?: string | null } | { kind: 'separate' };
}

/** Counts every answered request; the route is the pattern (`/v1/sagas/:id`), never the raw URL. */
export async function metricsPlugin(app: FastifyInstance, options: MetricsOptions): Promise<void> {
  if (options.stuckSagas) stuckGauge(options.stuckSagas, options.stuckCacheMs ?? 30_000);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  const exposure = options.exposure ?? { kind: 'public' };
  if (exposure.kind === 'separate') return;
  const key = exposure.key ? digest(`Bearer ${exposure.key}`) : null;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (key && !timingSafeEqual(digest(request.headers.authorization ?? ''), key)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').type('text/plain').send('a metrics key is required\n');
    }
    reply.header('content-type', apiRegistry.contentType);
    return apiRegistry.metrics();
  });
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** `/metrics` on a port of its own (SAGAWAY_METRICS_PORT), as Prometheus exporters are served, apart from client traffic. */
export async function serveMetrics(host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
    apiRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': apiRegistry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}

let stuckRegistered = false;

/**
 * The stuck count is a visibility list plus up to 100 queries: it is computed once per `cacheMs` however
 * many scrapes arrive, and concurrent scrapes after the cache lapsed share the one computation.
 */
function stuckGauge(count: () => Promise<number>, cacheMs: number): void {
  if (stuckRegistered) apiRegistry.removeSingleMetric('sagaway_sagas_stuck');
  stuckRegistered = true;
  let cached: { at: number; value: number } | null = null;
  let pending: Promise<void> | null = null;
  const refresh = () =>
    (pending ??= count()
      .then((value) => {
        cached = { at: Date.now(), value };
      })
      // Temporal unreachable: the gauge keeps its last value rather than failing the scrape.
      .catch(() => undefined)
      .finally(() => {
        pending = null;
      }));
  new Gauge({
    name: 'sagaway_sagas_stuck',
    help: 'Sagas with a STUCK compensation, across every client (from Temporal, cached briefly)',
    registers: [apiRegistry],
    async collect() {
      if (!cached || Date.now() - cached.at > cacheMs) await refresh();
      if (cached) this.set(cached.value);
    },
  });
}
