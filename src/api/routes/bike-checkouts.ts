import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BikeCheckoutRequestSchema, BikeSensedSchema, type BikeCheckoutRequest } from '../../domain/bike-request';
import { Messages } from '../../domain/messages';
import type { Currency } from '../../domain/money';
import type { SagaTuning } from '../../domain/saga';
import type { IdPackager } from '../id-package';
import type { KioskStockCache } from '../kiosk-stock';
import { HttpProblem } from '../problems';
import type { SagaGateway } from '../saga-gateway';
import { SagaIdSchema, problemResponses, refuseIllFormedText } from '../schemas';
import { commandProblem } from './sagas';
import { registerSagaRoute } from './start-saga';

export interface BikeRouteOptions {
  packager: IdPackager;
  stock: KioskStockCache;
  sensorTimeoutMs: number;
  visitorMaxBikes: number;
  feePerBike: { amountMinor: number; currency: Currency };
  tuning: SagaTuning;
}

export function bikeRoutes(app: FastifyInstance, gateway: SagaGateway, options: BikeRouteOptions): void {
  registerSagaRoute(app, gateway, {
    path: '/v1/bike-checkouts',
    type: 'bike-checkout',
    workflow: 'bikeCheckout',
    schema: BikeCheckoutRequestSchema,
    operationId: 'startBikeCheckout',
    summary: 'Check out bikes at a kiosk',
    description: 'Check out bikes at a kiosk: verify the rider, bring each bike to a bay, open the door once it is there. A kiosk known to be empty is a 409 and starts nothing.',
    example: { kioskId: 'kiosk-central', bikes: 2, credentials: { documentNumber: 'D1234567', issuingRegion: 'City', dateOfBirth: '1980-04-02' } },
    precheck: async (body: BikeCheckoutRequest) => {
      if ((await options.stock.stock(body.kioskId)) === 0) {
        throw new HttpProblem(409, 'kiosk-empty', 'Kiosk empty', `kiosk ${body.kioskId} has no bikes right now; try another kiosk`, { code: 'KioskEmpty' });
      }
    },
    toInput: async (body: BikeCheckoutRequest) => {
      const input = {
        kioskId: body.kioskId,
        bikes: body.bikes,
        credentialsPackage: await options.packager.seal(body.credentials),
        paymentToken: body.paymentToken ?? null,
        sensorTimeoutMs: options.sensorTimeoutMs,
        visitorMaxBikes: options.visitorMaxBikes,
        feePerBike: options.feePerBike,
        tuning: options.tuning,
      };
      return input;
    },
    onStarted: (body: BikeCheckoutRequest) => options.stock.taken(body.kioskId, body.bikes),
    businessKeys: (body: BikeCheckoutRequest) => ({ kiosk: body.kioskId }),
    runSummary: (body: BikeCheckoutRequest) => `Bike checkout at ${body.kioskId}: ${body.bikes} bike${body.bikes === 1 ? '' : 's'}`,
  });

  app.withTypeProvider<ZodTypeProvider>().post('/v1/sagas/:id/signals/bike-sensed', {
    preValidation: refuseIllFormedText,
    schema: {
      operationId: 'reportBikeSensed',
      summary: 'Report a bike in its bay (door sensor)',
      description: 'The kiosk door sensor saw a bike in its bay. An unknown or wrong bike is a 422.',
      params: z.object({ id: SagaIdSchema }),
      body: BikeSensedSchema.meta({ examples: [{ bikeId: 'central-01' }] }),
      response: { 200: z.object({ bikeId: z.string(), bay: z.number(), status: z.string() }), ...problemResponses },
    },
  }, async (request) => {
    const outcome = await gateway.update(request.params.id, request.clientId, Messages.bikeSensedUpdate, request.body);
    const problem = commandProblem(request.params.id, outcome);
    if (problem) throw problem;
    return (outcome as { value: { bikeId: string; bay: number; status: string } }).value;
  });
}
