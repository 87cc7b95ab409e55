export { orderCheckout } from './order-checkout';
export { sagaStateQuery, cancelUpdate } from './saga';
