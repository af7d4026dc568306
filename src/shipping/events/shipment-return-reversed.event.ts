import type { IEvent } from '@nestjs/cqrs';

/** A returned parcel was sent back to the customer, since the return could not be refunded. */
export class ShipmentReturnReversedEvent implements IEvent {
  constructor(readonly orderId: string) {}
}
