/**
 * Public contract of the shipping module. Other modules import from here only.
 */
export { ShippingModule } from './shipping.module';
export type { ShippingAddress } from './shipping-address';
export { CreateShipmentCommand } from './commands/impl/create-shipment.command';
export { CancelShipmentCommand } from './commands/impl/cancel-shipment.command';
export * from './events';
export { GetShipmentsQuery } from './queries/impl/get-shipments.query';
export { ShipmentView } from './queries/shipment.view';
