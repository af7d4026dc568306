import type { IEvent } from '@nestjs/cqrs';

/** A return that could not be completed is closed as REFUSED; the order stays CONFIRMED. */
export class ReturnClosedEvent implements IEvent {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}
