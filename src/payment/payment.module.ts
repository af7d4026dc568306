import { SagaMessagingModule } from 'sagaworks';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CommandHandlers } from './commands/handlers';
import { PaymentMethodEntity } from './entities/payment-method.entity';
import { PaymentEntity } from './entities/payment.entity';
import { ReturnRefundReceiver } from './returns/return-refund.receiver';
import { PaymentController } from './payment.controller';
import { FakePaymentProvider } from './provider/fake-payment-provider';
import { PaymentProvider } from './provider/payment-provider';
import { QueryHandlers } from './queries/handlers';
import { PaymentMethodVault } from './vault/payment-method-vault';
import { PaymentMethodReceiver } from './handoff/payment-method-receiver';

/**
 * Charges and refunds, one payment per order, and `GET /payments`. Needs `CqrsModule.forRoot()` and a TypeORM
 * connection in the host app, and `CreatePaymentsTables1764000000300`, `CreatePaymentMethodsTable1764000000500` and
 * `CreatePaymentMethodReceipts1764000000600` and `AddPaymentProviderRef1764000001000` in its migrations (`ownMigrations('payment')`). Exports the card-token vault, `PaymentMethodVault`, to the module that takes the order.
 */
@Module({
  // CqrsModule is deliberately not imported: see InventoryModule (a plain import can get its own EventBus).
  imports: [SagaMessagingModule, TypeOrmModule.forFeature([PaymentEntity, PaymentMethodEntity])],
  controllers: [PaymentController],
  providers: [
    { provide: PaymentProvider, useClass: FakePaymentProvider },
    PaymentMethodVault,
    PaymentMethodReceiver,
    ReturnRefundReceiver,
    ...CommandHandlers,
    ...QueryHandlers,
  ],
  exports: [PaymentMethodVault],
})
export class PaymentModule {}
