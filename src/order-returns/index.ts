/** The order-return flow: its module and its definition (for diagrams and tests). */
export { OrderReturnsModule } from './order-returns.module';
export { orderReturnFlow } from './order-return.flow';
