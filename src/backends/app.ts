import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { inventoryRoutes } from './inventory';
import { Journal } from './journal';
import { notificationsRoutes } from './notifications';
import { paymentsRoutes } from './payments';
import { pricingRoutes } from './pricing';
import { BackendService, mountService, type ServiceRouter } from './service';
import { shippingRoutes } from './shipping';

export interface BackendsOptions {
  /** The append-only journal file; null keeps everything in memory. */
  journalPath: string | null;
  logger?: Logger | false;
}

type Routes = (service: BackendService) => (router: ServiceRouter) => void;

const SERVICES: Record<string, Routes> = {
  pricing: pricingRoutes,
  inventory: inventoryRoutes,
  payments: paymentsRoutes,
  shipping: shippingRoutes,
  notifications: notificationsRoutes,
};

export interface Backends {
  app: FastifyInstance;
  services: Record<string, BackendService>;
}

/** The simulated microservices, one path prefix each, in one Fastify app. */
export function buildBackends(options: BackendsOptions): Backends {
  const app: FastifyInstance = options.logger ? (Fastify({ loggerInstance: options.logger }) as unknown as FastifyInstance) : Fastify({ logger: false });
  const journal = new Journal(options.journalPath);
  const entries = journal.read();
  const services: Record<string, BackendService> = {};
  for (const [name, routes] of Object.entries(SERVICES)) {
    const service = new BackendService(name, journal);
    service.restore(entries);
    mountService(app, service, routes(service));
    services[name] = service;
  }
  app.get('/healthz', async () => ({ status: 'ok', services: Object.keys(services) }));
  return { app, services };
}
