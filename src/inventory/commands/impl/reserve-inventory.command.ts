import type { ICommand } from '@nestjs/cqrs';

/** One line of a reservation. */
export interface ReservationItem {
  readonly sku: string;
  /** A positive integer. */
  readonly quantity: number;
}

/**
 * Reserve every item of an order, all or nothing. Idempotent per `orderId`: a repeat publishes the first
 * outcome again. Answered by `InventoryReservedEvent` or `InventoryReservationFailedEvent`.
 */
export class ReserveInventoryCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly items: ReadonlyArray<ReservationItem>,
  ) {}
}
