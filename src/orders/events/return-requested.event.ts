import type { IEvent } from '@nestjs/cqrs';

/** A customer asked to return a confirmed order: the order-return flow begins (shipping takes the parcel back). */
export class ReturnRequestedEvent implements IEvent {
  constructor(readonly orderId: string) {}
}
