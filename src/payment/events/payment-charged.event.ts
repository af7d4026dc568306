import type { IEvent } from '@nestjs/cqrs';

/** The order's total was charged, once. */
export class PaymentChargedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly paymentId: string,
  ) {}
}
