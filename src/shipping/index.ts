/**
 * Public contract of the shipping module. Other modules import from here only.
 */
export { ShippingModule } from './shipping.module';
export type { ShippingAddress } from './shipping-address';
export { CreateShipmentCommand } from './commands/impl/create-shipment.command';
export { CancelShipmentCommand } from './commands/impl/cancel-shipment.command';
export { ShipmentCreatedEvent } from './events/shipment-created.event';
export { ShipmentFailedEvent } from './events/shipment-failed.event';
export { ShipmentCancelledEvent } from './events/shipment-cancelled.event';
export { GetShipmentsQuery } from './queries/impl/get-shipments.query';
export { ShipmentView } from './queries/shipment.view';
export { ShipmentReturnedEvent } from './events/shipment-returned.event';
export { ShipmentReturnReversedEvent } from './events/shipment-return-reversed.event';
