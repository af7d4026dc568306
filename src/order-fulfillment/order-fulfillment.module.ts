import { Module } from '@nestjs/common';
import { SagaModule } from 'sagaworks';
import { orderFulfillmentSaga } from './order-fulfillment.saga-definition';
import { OrderFulfillmentSagas } from './order-fulfillment.sagas';

@Module({
  imports: [SagaModule.forFeature([orderFulfillmentSaga])],
  providers: [OrderFulfillmentSagas],
})
export class OrderFulfillmentModule {}
