import { dirname, join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { billingRoutes } from './billing';
import { bikesRoutes } from './bikes';
import { carsRoutes } from './cars';
import { flightsRoutes } from './flights';
import { fxRoutes } from './fx';
import { hotelsRoutes } from './hotels';
import { idcheckRoutes, loadIdKeys, type IdKeys } from './idcheck';
import { inventoryRoutes } from './inventory';
import { Journal } from './journal';
import { kioskRoutes } from './kiosk';
import { notificationsRoutes } from './notifications';
import { paymentsRoutes } from './payments';
import { pricingRoutes } from './pricing';
import { registrarRoutes } from './registrar';
import { BackendService, mountService, type ServiceRouter } from './service';
import { shippingRoutes } from './shipping';
import { storageRoutes } from './storage';
import { studentsRoutes } from './students';

export interface BackendsOptions {
  /** The append-only journal file; null keeps everything in memory. */
  journalPath: string | null;
  logger?: Logger | false;
}

type Routes = (service: BackendService, keys: IdKeys) => (router: ServiceRouter) => void;

const SERVICES: Record<string, Routes> = {
  pricing: pricingRoutes,
  inventory: inventoryRoutes,
  payments: paymentsRoutes,
  shipping: shippingRoutes,
  notifications: notificationsRoutes,
  idcheck: idcheckRoutes,
  storage: storageRoutes,
  bikes: bikesRoutes,
  kiosk: kioskRoutes,
  students: studentsRoutes,
  registrar: registrarRoutes,
  billing: billingRoutes,
  flights: flightsRoutes,
  hotels: hotelsRoutes,
  cars: carsRoutes,
  fx: fxRoutes,
};

export interface Backends {
  app: FastifyInstance;
  services: Record<string, BackendService>;
}

/** The simulated microservices, one path prefix each, in one Fastify app. */
export async function buildBackends(options: BackendsOptions): Promise<Backends> {
  // Every simulated call would be a log line at info; the backends report warnings and errors only.
  const app: FastifyInstance = options.logger
    ? (Fastify({ loggerInstance: options.logger.child({}, { level: 'warn' }) }) as unknown as FastifyInstance)
    : Fastify({ logger: false });
  // The storage service is a legacy system that speaks XML; its routes read the raw text.
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const journal = new Journal(options.journalPath);
  const entries = journal.read();
  const keys = await loadIdKeys(options.journalPath ? join(dirname(options.journalPath), 'idcheck-key.json') : null);
  const services: Record<string, BackendService> = {};
  for (const [name, routes] of Object.entries(SERVICES)) {
    const service = new BackendService(name, journal);
    service.restore(entries);
    mountService(app, service, routes(service, keys));
    services[name] = service;
  }
  app.get('/healthz', async () => ({ status: 'ok', services: Object.keys(services) }));
  return { app, services };
}
