import type { components, operations } from './openapi.js';

export type SagaView = components['schemas']['SagaView'];
export type SagaStatus = SagaView['status'];
export type SagaType = SagaView['type'];
export type SagaList = operations['listSagas']['responses'][200]['content']['application/json'];
export type ListQuery = NonNullable<operations['listSagas']['parameters']['query']>;

type JsonBody<Op extends keyof operations> = operations[Op] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type OrderRequest = JsonBody<'startOrder'>;
export type BikeCheckoutRequest = JsonBody<'startBikeCheckout'>;
export type ClassRegistrationRequest = JsonBody<'startClassRegistration'>;
export type TripRequest = JsonBody<'startTrip'>;
export type TransferRequest = JsonBody<'startTransfer'>;
export type PriceConfirmation = JsonBody<'confirmTripPrice'>;

export type KioskAvailability = operations['getKioskAvailability']['responses'][200]['content']['application/json'];
export type BikeInBay = operations['reportBikeSensed']['responses'][200]['content']['application/json'];
export type SectionAllocation = operations['getSectionAllocation']['responses'][200]['content']['application/json'];
