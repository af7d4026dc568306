import type { IEvent } from '@nestjs/cqrs';

/** The order's shipment is booked. */
export class ShipmentCreatedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly shipmentId: string,
    public readonly trackingNumber: string,
  ) {}
}
