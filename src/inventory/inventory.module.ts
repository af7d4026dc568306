import { SagaMessagingModule } from 'sagaworks';
import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CommandHandlers } from './commands/handlers';
import { ProductEntity } from './entities/product.entity';
import { ReservationEntity } from './entities/reservation.entity';
import { InventoryController } from './inventory.controller';
import { INVENTORY_OPTIONS, type InventoryOptions } from './inventory.options';
import { InventorySeeder } from './inventory.seeder';
import { ReturnRestockReceiver } from './returns/return-restock.receiver';
import { QueryHandlers } from './queries/handlers';

/**
 * Stock: the catalog, reservations per order, and `GET /products`. Needs `CqrsModule.forRoot()` and a TypeORM
 * connection in the host app, and its migrations (`ownMigrations('inventory')`).
 */
@Module({})
export class InventoryModule {
  static forRoot(options: InventoryOptions): DynamicModule {
    return {
      module: InventoryModule,
      // CqrsModule is deliberately not imported: a plain `CqrsModule` import listed before the app's
      // `CqrsModule.forRoot()` gives this module its own EventBus, and its events never reach the sagas.
      imports: [SagaMessagingModule, TypeOrmModule.forFeature([ProductEntity, ReservationEntity])],
      controllers: [InventoryController],
      providers: [
        { provide: INVENTORY_OPTIONS, useValue: options },
        InventorySeeder,
        ...CommandHandlers,
        ...QueryHandlers,
        ReturnRestockReceiver,
      ],
    };
  }
}
