import type { IEvent } from '@nestjs/cqrs';

/** The order has no live shipment any more (whether or not it ever had one). */
export class ShipmentCancelledEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
  ) {}
}
