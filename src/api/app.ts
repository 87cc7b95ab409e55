import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import rateLimit from '@fastify/rate-limit';
import swaggerUi from '@fastify/swagger-ui';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { SagaTuning } from '../domain/saga';
import { metricsPlugin, type MetricsOptions } from '../observability/api-metrics';
import { requestTracing } from '../observability/request-tracing';
import { decorateAuth, identifyCallers, KeyRing, rateKeyOf, refuseUnknown } from './auth';
import { refuseDeepJson } from './json-depth';
import { kioskAccess } from './kiosk-access';
import { errorHandler, HttpProblem, problemType, sendProblem } from './problems';
import { auditRoutes, type AuditReader } from './routes/audit';
import { bikeRoutes, type BikeRouteOptions } from './routes/bike-checkouts';
import { classRoutes, type ClassRouteOptions } from './routes/class-registrations';
import { codecRoutes, type CodecRouteOptions } from './routes/codec';
import { eventRoutes, type EventStreamOptions } from './routes/events';
import { healthRoutes } from './routes/health';
import { opsRoutes } from './routes/ops';
import { orderRoutes } from './routes/orders';
import { sagaRoutes } from './routes/sagas';
import { KEY_LIFETIME } from './idempotency';
import { transferCallbackRoutes } from './routes/transfer-callbacks';
import { transferRoutes } from './routes/transfers';
import { tripRoutes } from './routes/trips';
import type { TransferGateway } from './transfer-gateway';
import type { Admission } from './admission';
import { opsConsoleRoutes, screenRoutes } from './routes/screens';
import type { OpsGateway } from './ops-gateway';
import type { SagaGateway } from './saga-gateway';
import { perInstanceState, RATE_LIMIT_PREFIX, type SharedState } from './shared-state';

export interface AppDeps {
  gateway: SagaGateway;
  apiKeys: Map<string, string>;
  /** Operator keys (SAGAWAY_OPERATOR_KEYS): the codec and /v1/ops routes; none means no operator. */
  operatorKeys?: Map<string, string>;
  logger?: Logger;
  sagas: { orderDeadlineMs: number; localSteps: boolean; localHolds?: boolean; localPivot?: boolean; tuning: SagaTuning };
  bikes: Omit<BikeRouteOptions, 'tuning'>;
  classes: Omit<ClassRouteOptions, 'tuning'>;
  bodyLimitBytes?: number;
  codec?: Omit<CodecRouteOptions, 'identifyAndLimit'>;
  protection?: Protection;
  /** What API instances share (SAGAWAY_REDIS_URL); per instance when absent. */
  shared?: SharedState;
  /** The kiosk and registration desk pages; development shows the kiosk's "bike sensed" buttons. */
  screens?: { development: boolean };
  /** The operator routes (/v1/ops): every client's sagas, actions on their steps. */
  ops?: OpsGateway;
  events?: EventStreamOptions;
  /** Trace each request (a span per request, the parent of the saga's workflow start). */
  tracing?: boolean;
  /** The audit trail, read by auditor keys (SAGAWAY_AUDITOR_KEYS) at /v1/audit; absent, no audit routes. */
  audit?: { reader: AuditReader; auditorKeys: Map<string, string> };
  /** Where /metrics is served (SAGAWAY_METRICS_PORT, SAGAWAY_METRICS_KEY); open on the API's port when absent. */
  metrics?: MetricsOptions['exposure'];
  /** Bounds on running sagas, per client and in all (SAGAWAY_MAX_RUNNING*); none: every start is let in. */
  admission?: Admission;
  /** Cross-border transfers: their routes, the network's callbacks (signed with `networkSecret`). */
  transfers?: { gateway: TransferGateway; networkSecret: string };
}

export interface Protection {
  rateLimitPerMinute: number;
  maxEventLoopDelayMs: number;
  /** For operators and tests: a failing check sheds load like an overloaded event loop does. */
  healthCheck?: () => Promise<boolean>;
  /** Counters in Redis, shared by every API instance; in this process when absent. */
  redis?: SharedState['redis'];
}

const API_DESCRIPTION = [
  'Durable sagas on Temporal behind one HTTP request.',
  '',
  `Every start route takes an Idempotency-Key. The same key with the same body answers the same saga (200 or 202), for ${KEY_LIFETIME}; ` +
    'the same key with another body is a 422. Prefer: wait=N waits up to N seconds (at most 60) for the saga to end; open waits per client are capped (429 with Retry-After past the cap).',
].join('\n');

/** Cancel's body is optional, which the schema conversion cannot say by itself. */
function optionalCancelBody<T>(document: T): T {
  const cancel = (document as { paths?: Record<string, { post?: { requestBody?: { required?: boolean } } }> }).paths?.['/v1/sagas/{id}/cancel']?.post;
  if (cancel?.requestBody) cancel.requestBody.required = false;
  return document;
}

/** Builds the HTTP API as an app that tests load without listening; server.ts owns the process. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const base = {
    bodyLimit: deps.bodyLimitBytes ?? 64 * 1024,
    requestIdHeader: false as const,
    clientErrorHandler: answerClientError,
  };
  const app: FastifyInstance = deps.logger
    ? (Fastify({ ...base, loggerInstance: deps.logger }) as unknown as FastifyInstance)
    : Fastify({ ...base, logger: false });
  if (deps.tracing) await app.register(requestTracing());
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  refuseDeepJson(app);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new HttpProblem(404, 'not-found', 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  await app.register(swagger, {
    openapi: {
      info: { title: 'sagaway', version: '0.2.0', description: API_DESCRIPTION, license: { name: 'MIT', url: 'https://opensource.org/license/mit' } },
      servers: [{ url: '/', description: 'this sagaway API (the document is served by the API it describes)' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => optionalCancelBody(jsonSchemaTransformObject(input)),
  });

  await metricsPlugin(app, { stuckSagas: deps.ops ? () => deps.ops!.countStuck() : undefined, exposure: deps.metrics });
  if (deps.protection) await shedLoad(app, deps.protection);
  const shared = deps.shared ?? perInstanceState();
  app.addHook('onClose', () => shared.close());
  healthRoutes(app, deps.gateway, shared);
  const ring = new KeyRing(deps.apiKeys, deps.operatorKeys, deps.audit?.auditorKeys);
  decorateAuth(app, ring);
  // Identify, count, then refuse: a rejected request (no key, a bad body) still spends its budget.
  const identifyAndLimit = async (scope: FastifyInstance) => {
    identifyCallers(scope, ring);
    if (deps.protection) await limitRate(scope, deps.protection.rateLimitPerMinute, deps.protection.redis ?? null);
  };
  // The API document is open to anyone, and counted by the rate limit like every route; built once.
  await app.register(async (scope) => {
    await identifyAndLimit(scope);
    await scope.register(swaggerUi, { routePrefix: '/docs' });
    let document: string | undefined;
    scope.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send((document ??= JSON.stringify(app.swagger()))));
  });
  if (deps.codec) {
    const codec = deps.codec;
    await app.register(async (scope) => codecRoutes(scope, { ...codec, identifyAndLimit }));
  }
  app.decorate('admission', deps.admission ?? null);
  await app.register(async (v1) => {
    await identifyAndLimit(v1);
    v1.addHook('preParsing', refuseUnknown(ring));
    kioskAccess(v1, deps.bikes.stock);
    orderRoutes(v1, deps.gateway, deps.sagas);
    bikeRoutes(v1, deps.gateway, { ...deps.bikes, tuning: deps.sagas.tuning });
    classRoutes(v1, deps.gateway, { ...deps.classes, tuning: deps.sagas.tuning });
    tripRoutes(v1, deps.gateway, deps.sagas);
    if (deps.transfers) transferRoutes(v1, deps.gateway, deps.transfers.gateway, deps.sagas);
    sagaRoutes(v1, deps.gateway);
    eventRoutes(v1, deps.gateway, deps.events);
    if (deps.ops) opsRoutes(v1, deps.ops);
    if (deps.audit) auditRoutes(v1, deps.audit.reader);
    if (deps.ops) opsConsoleRoutes(v1, deps.ops, deps.events);
  });
  const transfers = deps.transfers;
  if (transfers) {
    await app.register(async (scope) => {
      await identifyAndLimit(scope);
      transferCallbackRoutes(scope, { transfers: transfers.gateway, networkSecret: transfers.networkSecret });
    });
  }
  await app.register(async (scope) => screenRoutes(scope, { development: deps.screens?.development ?? false, visitorMaxBikes: deps.bikes.visitorMaxBikes, feePerBike: deps.bikes.feePerBike }));
  return app;
}

/** Answers 503 with Retry-After before the process falls over (event loop lag, or a failed check). */
async function shedLoad(app: FastifyInstance, protection: Protection): Promise<void> {
  await app.register(underPressure, {
    maxEventLoopDelay: protection.maxEventLoopDelayMs,
    healthCheck: protection.healthCheck,
    healthCheckInterval: protection.healthCheck ? 50 : undefined,
    pressureHandler: (request, reply, type) => {
      void sendProblem(reply, request, new HttpProblem(503, 'overloaded', 'Service overloaded', `the API is shedding load (${type}); retry shortly`, {}, { 'retry-after': '2' }));
    },
  });
}

/**
 * Per-client limits (per address for callers without a valid key), counted at onRequest, before the body
 * is read or validated, so every request counts, the refused ones too, and no client spends another's budget.
 */
async function limitRate(scope: FastifyInstance, perMinute: number, redis: SharedState['redis']): Promise<void> {
  await scope.register(rateLimit, {
    // Shared counters when Redis is there; if it stops answering, requests pass rather than fail.
    ...(redis ? { redis, nameSpace: RATE_LIMIT_PREFIX, skipOnError: true } : {}),
    max: perMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    keyGenerator: rateKeyOf,
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(429, 'rate-limited', 'Too many requests', `more than ${context.max} requests a minute; retry in ${context.after}`, {}, { 'retry-after': String(Math.ceil(context.ttl / 1000)) }),
  });
}

/**
 * Errors Node's HTTP parser meets before Fastify routes anything (headers too large, a broken request
 * line) still get a problem+json answer, then the connection closes.
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const title = status === 431 ? 'Request header fields too large' : status === 408 ? 'Request timeout' : 'Bad request';
  const body = JSON.stringify({ type: problemType(status === 431 ? 'headers-too-large' : 'bad-request'), title, status, detail: title.toLowerCase() });
  socket.end(`HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
