import type { ICommand } from '@nestjs/cqrs';
import type { ShippingAddress } from '../../shipping-address';

/**
 * Book a shipment for an order. Idempotent per `orderId`: a repeat publishes the first outcome again.
 * Answered by `ShipmentCreatedEvent` or `ShipmentFailedEvent`.
 */
export class CreateShipmentCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly address: ShippingAddress,
  ) {}
}
