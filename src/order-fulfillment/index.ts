/** The order saga: its module and its definition (for diagrams and tests). */
export { OrderFulfillmentModule } from './order-fulfillment.module';
export { orderFulfillmentSaga } from './order-fulfillment.saga-definition';
