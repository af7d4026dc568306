import { Module } from '@nestjs/common';
import { SagaModule } from 'sagaworks';
import { Ledger } from './ledger.service.js';
import {
  ChargePaymentHandler,
  NotifyCustomerHandler,
  RefundPaymentHandler,
  ReleaseStockHandler,
  ReserveStockHandler,
} from './order.handlers.js';
import { orderSaga, OrderSagas } from './order.saga.js';

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
