import type { IEvent } from '@nestjs/cqrs';

/** The order holds no charge any more (whether or not it was ever charged). */
export class PaymentRefundedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
  ) {}
}
