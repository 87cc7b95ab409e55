import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { SagaTuning } from '../domain/saga';
import { createAuthenticator } from './auth';
import { errorHandler, HttpProblem, sendProblem } from './problems';
import { bikeRoutes, type BikeRouteOptions } from './routes/bike-checkouts';
import { classRoutes, type ClassRouteOptions } from './routes/class-registrations';
import { healthRoutes } from './routes/health';
import { orderRoutes } from './routes/orders';
import { sagaRoutes } from './routes/sagas';
import type { SagaGateway } from './saga-gateway';

export interface AppDeps {
  gateway: SagaGateway;
  apiKeys: Map<string, string>;
  logger?: Logger;
  sagas: { orderDeadlineMs: number; tuning: SagaTuning };
  bikes: Omit<BikeRouteOptions, 'tuning'>;
  classes: Omit<ClassRouteOptions, 'tuning'>;
  bodyLimitBytes?: number;
}

/** Builds the HTTP API as an app that tests load without listening; server.ts owns the process. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const base = {
    bodyLimit: deps.bodyLimitBytes ?? 64 * 1024,
    requestIdHeader: false as const,
  };
  const app: FastifyInstance = deps.logger
    ? (Fastify({ ...base, loggerInstance: deps.logger }) as unknown as FastifyInstance)
    : Fastify({ ...base, logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new HttpProblem(404, 'not-found', 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  await app.register(swagger, {
    openapi: {
      info: { title: 'sagaway', version: '0.1.0', description: 'Durable sagas on Temporal behind one HTTP request.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  healthRoutes(app, deps.gateway);
  await app.register(async (v1) => {
    v1.addHook('onRequest', createAuthenticator(deps.apiKeys));
    orderRoutes(v1, deps.gateway, { deadlineMs: deps.sagas.orderDeadlineMs, tuning: deps.sagas.tuning });
    bikeRoutes(v1, deps.gateway, { ...deps.bikes, tuning: deps.sagas.tuning });
    classRoutes(v1, deps.gateway, { ...deps.classes, tuning: deps.sagas.tuning });
    sagaRoutes(v1, deps.gateway);
  });
  return app;
}
