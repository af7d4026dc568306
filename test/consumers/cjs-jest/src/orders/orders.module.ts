import { Module } from '@nestjs/common';
import { SagaModule } from 'sagaworks';
import { Ledger } from './ledger.service';
import {
  ChargePaymentHandler,
  NotifyCustomerHandler,
  RefundPaymentHandler,
  ReleaseStockHandler,
  ReserveStockHandler,
} from './order.handlers';
import { orderSaga, OrderSagas } from './order.saga';

@Module({
  imports: [SagaModule.forFeature([orderSaga])],
  providers: [
    Ledger,
    ReserveStockHandler,
    ReleaseStockHandler,
    ChargePaymentHandler,
    RefundPaymentHandler,
    NotifyCustomerHandler,
    OrderSagas,
  ],
  exports: [Ledger],
})
export class OrdersModule {}
