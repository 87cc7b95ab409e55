export { bikeCheckout } from './bike-checkout';
export { orderCheckout } from './order-checkout';
export { bikeSensedUpdate } from './messages';
export { cancelUpdate, sagaStateQuery } from './saga';
