export { bikeCheckout } from './bike-checkout';
export { classRegistration } from './class-registration';
export { orderCheckout } from './order-checkout';
export { registrationClaim } from './registration-claim';
export { seatAllocator } from './seat-allocator';
export { allocationQuery, bikeSensedUpdate, fileRequestSignal, releaseSeatSignal, seatDecisionSignal } from './messages';
export { cancelUpdate, sagaStateQuery } from './saga';
