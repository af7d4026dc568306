import { SagaMessagingModule } from 'sagaworks';
import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PaymentModule } from '../payment';
import { OrderCatalogReceiver } from './catalog/order-catalog.receiver';
import { CommandHandlers } from './commands/handlers';
import { OrderEntity } from './entities/order.entity';
import { OrdersController } from './orders.controller';
import { InventoryCatalogPricing, OrderCatalogPricing, OrderPricing } from './placement/order-pricing';
import { OutboxPaymentMethodHandoff, PaymentMethodHandoff, VaultPaymentMethodHandoff } from './placement/payment-method-handoff';
import { GetOrderHandler } from './queries/handlers/get-order.handler';
import { OrderReturnReceiver } from './returns/order-return.receiver';

export interface OrdersModuleOptions {
  /**
   * Inventory and payment run in other processes: prices come from this service's copy of the catalog, and the
   * card token goes to payment by message (needs `CreateOrderCatalog1764000000700` and a broker's outbox).
   * Default false: they run here, on the same database.
   */
  apart?: boolean;
}

/**
 * Orders: placing (with its saga, in one statement), confirming, cancelling, and `GET /orders/:id`. In one
 * process it imports the payment module for its card-token vault; apart, it hands the token over by message.
 */
@Module({})
export class OrdersModule {
  static forRoot(options: OrdersModuleOptions = {}): DynamicModule {
    const placement: Provider[] = options.apart
      ? [
          { provide: OrderPricing, useClass: OrderCatalogPricing },
          { provide: PaymentMethodHandoff, useClass: OutboxPaymentMethodHandoff },
          OrderCatalogReceiver,
        ]
      : [
          { provide: OrderPricing, useClass: InventoryCatalogPricing },
          { provide: PaymentMethodHandoff, useClass: VaultPaymentMethodHandoff },
        ];
    return {
      module: OrdersModule,
      // CqrsModule.forRoot() is global in the app; importing plain CqrsModule here could give this module its own bus.
      imports: [SagaMessagingModule, TypeOrmModule.forFeature([OrderEntity]), ...(options.apart ? [] : [PaymentModule])],
      controllers: [OrdersController],
      providers: [...CommandHandlers, GetOrderHandler, OrderReturnReceiver, ...placement],
    };
  }
}
