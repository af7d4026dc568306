import { SagaMessagingModule } from 'sagaworks';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PaymentModule } from '../payment';
import { CommandHandlers } from './commands/handlers';
import { OrderEntity } from './entities/order.entity';
import { OrdersController } from './orders.controller';
import { GetOrderHandler } from './queries/handlers/get-order.handler';

@Module({
  // CqrsModule.forRoot() is global in the app; importing plain CqrsModule here could give this module its own bus.
  // PaymentModule for its card-token vault: a placed order's token is stored there, never in the saga's data.
  imports: [SagaMessagingModule, TypeOrmModule.forFeature([OrderEntity]), PaymentModule],
  controllers: [OrdersController],
  providers: [...CommandHandlers, GetOrderHandler],
})
export class OrdersModule {}
