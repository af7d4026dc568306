import type { IEvent } from '@nestjs/cqrs';

/** Every item of the order is reserved. */
export class InventoryReservedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
  ) {}
}
