export { bikeCheckout } from './bike-checkout';
export { classRegistration } from './class-registration';
export { orderCheckout } from './order-checkout';
export { registrationClaim } from './registration-claim';
export { seatAllocatorV2 } from './seat-allocator';
export { seatAllocator } from './seat-allocator-v0';
export { tripBooking } from './trip-booking';
export { allocationQuery, bikeSensedUpdate, fileRequestSignal, operatorActionUpdate, priceConfirmationUpdate, releaseSeatSignal, seatDecisionSignal } from './messages';
export { cancelUpdate, sagaStateQuery } from './saga';
