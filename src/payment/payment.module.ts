import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CommandHandlers } from './commands/handlers';
import { PaymentEntity } from './entities/payment.entity';
import { PaymentController } from './payment.controller';
import { FakePaymentProvider } from './provider/fake-payment-provider';
import { PaymentProvider } from './provider/payment-provider';
import { QueryHandlers } from './queries/handlers';

/**
 * Charges and refunds, one payment per order, and `GET /payments`. Needs `CqrsModule.forRoot()` and a TypeORM
 * connection in the host app, and `CreatePaymentsTables1764000000300` in its migrations.
 */
@Module({
  // CqrsModule is deliberately not imported: see InventoryModule (a plain import can get its own EventBus).
  imports: [TypeOrmModule.forFeature([PaymentEntity])],
  controllers: [PaymentController],
  providers: [{ provide: PaymentProvider, useClass: FakePaymentProvider }, ...CommandHandlers, ...QueryHandlers],
})
export class PaymentModule {}
