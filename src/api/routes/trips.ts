import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FailureType } from '../../domain/failures';
import { Messages } from '../../domain/messages';
import type { SagaTuning } from '../../domain/saga';
import { PriceConfirmationSchema, TripRequestSchema, type TripRequest } from '../../domain/trip-request';
import { HttpProblem } from '../problems';
import type { SagaGateway } from '../saga-gateway';
import { SagaIdSchema, SagaViewSchema, problemResponses, refuseIllFormedText } from '../schemas';
import { commandProblem, notFound } from './sagas';
import { answerWithView, registerSagaRoute } from './start-saga';

export interface TripRouteOptions {
  localSteps: boolean;
  tuning: SagaTuning;
}

export function tripRoutes(app: FastifyInstance, gateway: SagaGateway, options: TripRouteOptions): void {
  registerSagaRoute(app, gateway, {
    path: '/v1/trips',
    type: 'trip',
    workflow: 'tripBooking',
    schema: TripRequestSchema,
    operationId: 'startTrip',
    summary: 'Book a trip',
    example: {
      travellerId: 't-ada',
      currency: 'EUR',
      paymentToken: 'tok_visa',
      priceTolerancePercent: 5,
      priceConfirmationSeconds: 300,
      flight: { route: 'BER-LIS', date: '2027-05-01', passengers: 1 },
      hotel: { hotelCode: 'LIS-ALFAMA', checkIn: '2027-05-01', nights: 3, rooms: 1 },
      car: { pickup: 'LIS', carClass: 'compact', days: 3 },
    },
    description:
      'Book a trip: quote a flight, a hotel and a car, convert at a locked rate, hold all three, ask the traveller when a price moved beyond their tolerance, authorize, confirm, ticket, capture.',
    toInput: (trip: TripRequest) => ({ trip, localSteps: options.localSteps, tuning: options.tuning }),
    businessKeys: (trip: TripRequest) => ({ customer: trip.travellerId }),
    runSummary: (trip: TripRequest) => `Trip for ${trip.travellerId}: ${trip.flight.route}, ${trip.hotel.hotelCode} for ${trip.hotel.nights} nights, a ${trip.car.carClass} car; paid in ${trip.currency}`,
  });

  app.withTypeProvider<ZodTypeProvider>().post('/v1/sagas/:id/price-confirmation', {
    preValidation: refuseIllFormedText,
    schema: {
      operationId: 'confirmTripPrice',
      summary: 'Accept or refuse a trip\'s moved total',
      description: 'Accept or refuse a trip\'s moved total while the saga waits for it (its view shows `awaiting`). The same answer again is answered as the first; the other one, or an answer when nothing is asked: 409.',
      params: z.object({ id: SagaIdSchema }),
      body: PriceConfirmationSchema.meta({ examples: [{ accept: true }] }),
      response: { 200: SagaViewSchema, 202: SagaViewSchema, ...problemResponses },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const outcome = await gateway.update(id, request.clientId, Messages.priceConfirmationUpdate, request.body);
    if (outcome.kind === 'refused' && outcome.code === FailureType.NotAwaitingConfirmation) {
      throw new HttpProblem(409, 'not-awaiting-confirmation', 'The saga refused the request', outcome.reason, { code: outcome.code });
    }
    const problem = commandProblem(id, outcome);
    if (problem) throw problem;
    const view = await gateway.view(id, request.clientId);
    if (!view) throw notFound(id);
    return answerWithView(request, reply, gateway, view, { done: true });
  });
}
