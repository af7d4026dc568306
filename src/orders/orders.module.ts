import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CommandHandlers } from './commands/handlers';
import { OrderEntity } from './entities/order.entity';
import { OrdersController } from './orders.controller';
import { GetOrderHandler } from './queries/handlers/get-order.handler';

@Module({
  imports: [CqrsModule, TypeOrmModule.forFeature([OrderEntity])],
  controllers: [OrdersController],
  providers: [...CommandHandlers, GetOrderHandler],
})
export class OrdersModule {}
