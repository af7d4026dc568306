/** The orders module's contract: its module, messages and the saga it asks for. */
export { OrdersModule } from './orders.module';
export { PlaceOrderCommand, type PlaceOrderInput, type PlaceOrderResult } from './commands/impl/place-order.command';
export { ConfirmOrderCommand } from './commands/impl/confirm-order.command';
export { CancelOrderCommand } from './commands/impl/cancel-order.command';
export * from './events';
export { GetOrderQuery } from './queries/impl/get-order.query';
export { OrderStatus } from './order-status';
export type { OrderView } from './order.view';
export { ORDER_FULFILLMENT_SAGA, type OrderFulfillmentData, type OrderLine, type OrderShippingAddress } from './order-fulfillment.contract';
