import type { IEvent } from '@nestjs/cqrs';

/** The provider refused a returned order's refund: the return fails, and the parcel goes back. */
export class ReturnRefundRefusedEvent implements IEvent {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}
