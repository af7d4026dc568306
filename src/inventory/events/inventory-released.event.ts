import type { IEvent } from '@nestjs/cqrs';

/** The order holds no stock any more (whether or not it ever held some). */
export class InventoryReleasedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
  ) {}
}
