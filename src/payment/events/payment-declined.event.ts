import type { IEvent } from '@nestjs/cqrs';

/** Nothing was charged for the order: the card was declined, the amount was invalid, or payment was cancelled. */
export class PaymentDeclinedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly reason: string,
  ) {}
}
