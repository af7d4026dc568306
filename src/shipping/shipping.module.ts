import { SagaMessagingModule } from 'sagaworks';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CommandHandlers } from './commands/handlers';
import { ShipmentEntity } from './entities/shipment.entity';
import { QueryHandlers } from './queries/handlers';
import { ShipmentReturnReceiver } from './returns/shipment-return.receiver';
import { ShippingController } from './shipping.controller';

/**
 * Shipments, one per order, and `GET /shipments`. Needs `CqrsModule.forRoot()` and a TypeORM connection in the
 * host app, and its migrations (`ownMigrations('shipping')`: the shipments, and the parcels returned).
 */
@Module({
  // CqrsModule is deliberately not imported: see InventoryModule (a plain import can get its own EventBus).
  imports: [SagaMessagingModule, TypeOrmModule.forFeature([ShipmentEntity])],
  controllers: [ShippingController],
  providers: [...CommandHandlers, ...QueryHandlers, ShipmentReturnReceiver],
})
export class ShippingModule {}
