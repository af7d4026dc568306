import type { IEvent } from '@nestjs/cqrs';

/** A returned order's charge was refunded in full. */
export class ReturnRefundedEvent implements IEvent {
  constructor(
    readonly orderId: string,
    readonly amountCents: number,
  ) {}
}
