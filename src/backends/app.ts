import { dirname, join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { billingRoutes } from './billing';
import { bikesRoutes } from './bikes';
import { carsRoutes } from './cars';
import { flightsRoutes } from './flights';
import { complianceRoutes } from './compliance';
import { coreBankingRoutes } from './core-banking';
import { fxRoutes } from './fx';
import { fxPairRoutes } from './fx-pairs';
import { hotelsRoutes } from './hotels';
import { idcheckRoutes, loadIdKeys, type IdKeys } from './idcheck';
import { inventoryRoutes } from './inventory';
import { Journal } from './journal';
import { kioskRoutes } from './kiosk';
import { notificationsRoutes } from './notifications';
import { DEFAULT_NETWORK_OPTIONS, paymentNetworkRoutes, type NetworkOptions } from './payment-network';
import { paymentsRoutes } from './payments';
import { pricingRoutes } from './pricing';
import { registrarRoutes } from './registrar';
import { FEDERATION_HEADER } from '../domain/federation';
import { FederationVerifier } from './federation';
import { OAuthIssuer, type OAuthClientConfig } from './oauth';
import { BackendService, mountService, type ServiceAccess, type ServiceRouter } from './service';
import { shippingRoutes } from './shipping';
import { storageRoutes } from './storage';
import { studentsRoutes } from './students';
import { logTraceId } from '../observability/trace-id';

export interface BackendsOptions {
  /** The append-only journal file; null keeps everything in memory. */
  journalPath: string | null;
  logger?: Logger | false;
  /** sagaway's published signing keys (its JWKS): every call must carry a token they verify. */
  federationKeys: JWTVerifyGetKey;
  /** The one client the payments service's token endpoint knows. */
  paymentsClient: OAuthClientConfig;
  /** The `/_admin` routes; off unless SAGAWAY_BACKENDS_ADMIN=true. */
  admin: boolean;
  /** Where the payment network reports (sagaway's callback) and the secret it signs with. */
  network?: NetworkOptions;
}


function bearer(req: FastifyRequest): string | null {
  return /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
}

type Routes = (service: BackendService, keys: IdKeys, options: BackendsOptions) => (router: ServiceRouter) => void;

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
  fx: (service) => (router) => {
    fxRoutes(service)(router);
    fxPairRoutes(service)(router);
  },
  compliance: complianceRoutes,
  corebanking: coreBankingRoutes,
  network: (service, _keys, options) => paymentNetworkRoutes(service, options.network ?? DEFAULT_NETWORK_OPTIONS),
};

export interface Backends {
  app: FastifyInstance;
  services: Record<string, BackendService>;
  paymentsOAuth: OAuthIssuer;
}

/** The simulated microservices, one path prefix each, in one Fastify app. */
export async function buildBackends(options: BackendsOptions): Promise<Backends> {
  // Every simulated call would be a log line at info; the backends report warnings and errors only.
  const app: FastifyInstance = options.logger
    ? (Fastify({ loggerInstance: options.logger.child({}, { level: 'warn' }) }) as unknown as FastifyInstance)
    : Fastify({ logger: false });
  app.addHook('onRequest', logTraceId);
  // The storage service is a legacy system that speaks XML; its routes read the raw text.
  app.addContentTypeParser(['application/xml', 'text/xml', 'application/x-www-form-urlencoded'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const journal = new Journal(options.journalPath);
  const entries = journal.read();
  const keys = await loadIdKeys(options.journalPath ? join(dirname(options.journalPath), 'idcheck-key.json') : null);
  const federation = new FederationVerifier(options.federationKeys);
  // Payments takes an OAuth access token as its Authorization, and sagaway's token beside it.
  const paymentsOAuth = new OAuthIssuer('payments', options.paymentsClient);
  paymentsOAuth.mount(app, '/payments');
  const accessTo = (name: string): ServiceAccess => ({
    admin: options.admin,
    refusal: async (req) => {
      if (name !== 'payments') return federation.refusal(bearer(req), name);
      const header = req.headers[FEDERATION_HEADER];
      return (await paymentsOAuth.refusal(req)) ?? (await federation.refusal(typeof header === 'string' ? header : null, name));
    },
  });
  const services: Record<string, BackendService> = {};
  for (const [name, routes] of Object.entries(SERVICES)) {
    const service = new BackendService(name, journal);
    service.restore(entries);
    mountService(app, service, routes(service, keys, options), accessTo(name));
    services[name] = service;
  }
  if (options.admin) {
    app.get('/payments/_admin/oauth', async () => ({ issued: paymentsOAuth.issued }));
    app.post('/payments/_admin/oauth/revoke', async () => {
      paymentsOAuth.revokeAll();
      return { revoked: true };
    });
  }
  app.get('/healthz', async () => ({ status: 'ok', services: Object.keys(services) }));
  return { app, services, paymentsOAuth };
}
