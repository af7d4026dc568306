import type { IEvent } from '@nestjs/cqrs';

/** Nothing was reserved for the order: insufficient stock, unknown SKU, invalid items, or already released. */
export class InventoryReservationFailedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly reason: string,
  ) {}
}
