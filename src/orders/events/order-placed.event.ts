import type { IEvent } from '@nestjs/cqrs';

/** The order and its saga are committed. */
export class OrderPlacedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
  ) {}
}
