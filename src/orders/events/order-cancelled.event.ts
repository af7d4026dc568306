import type { IEvent } from '@nestjs/cqrs';

export class OrderCancelledEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly reason: string,
  ) {}
}
