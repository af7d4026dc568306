import type { ICommand } from '@nestjs/cqrs';

/**
 * Cancel an order's shipment (compensation). Idempotent, and safe before or instead of the creation: it then
 * leaves a tombstone so a late `CreateShipmentCommand` books nothing. Always answered by `ShipmentCancelledEvent`.
 */
export class CancelShipmentCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
  ) {}
}
