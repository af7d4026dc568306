/** The events of the orders module: what the other modules may react to (imported without the module itself). */
export { OrderCancelledEvent } from './order-cancelled.event';
export { OrderConfirmedEvent } from './order-confirmed.event';
export { OrderPlacedEvent } from './order-placed.event';
export { OrderReturnedEvent } from './order-returned.event';
export { ReturnClosedEvent } from './return-closed.event';
export { ReturnRequestedEvent } from './return-requested.event';
export { ORDER_RETURN_FLOW, type OrderReturnStatus } from '../order-return.contract';
