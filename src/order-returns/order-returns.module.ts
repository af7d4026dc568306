import { type DynamicModule, Module } from '@nestjs/common';
import { SagaModule } from 'sagaworks';
import { orderReturnFlow } from './order-return.flow';

/** Tracks the order-return flow (with the saga runtime, in the orders process). Its participants live in their modules. */
@Module({})
export class OrderReturnsModule {
  static forRoot(): DynamicModule {
    return { module: OrderReturnsModule, imports: [SagaModule.forFeature([], { choreographies: [orderReturnFlow] })] };
  }
}
