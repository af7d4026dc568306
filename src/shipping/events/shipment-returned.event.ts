import type { IEvent } from '@nestjs/cqrs';

/** Shipping took an order's parcel back (the order-return flow's second milestone). */
export class ShipmentReturnedEvent implements IEvent {
  constructor(readonly orderId: string) {}
}
