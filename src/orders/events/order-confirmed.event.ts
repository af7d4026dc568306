import type { IEvent } from '@nestjs/cqrs';

export class OrderConfirmedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
  ) {}
}
