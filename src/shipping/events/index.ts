/** The events of the shipping module: what the other modules may react to (imported without the module itself). */
export { ShipmentCancelledEvent } from './shipment-cancelled.event';
export { ShipmentCreatedEvent } from './shipment-created.event';
export { ShipmentFailedEvent } from './shipment-failed.event';
export { ShipmentReturnReversedEvent } from './shipment-return-reversed.event';
export { ShipmentReturnedEvent } from './shipment-returned.event';
