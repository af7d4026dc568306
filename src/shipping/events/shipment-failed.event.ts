import type { IEvent } from '@nestjs/cqrs';

/** No shipment was booked for the order: the address cannot be served, or the shipment was cancelled. */
export class ShipmentFailedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly reason: string,
  ) {}
}
