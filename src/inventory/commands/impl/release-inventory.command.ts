import type { ICommand } from '@nestjs/cqrs';

/**
 * Give back the stock reserved for an order (compensation). Idempotent, and safe before or instead of the
 * reservation: it then leaves a tombstone so a late `ReserveInventoryCommand` reserves nothing.
 * Always answered by `InventoryReleasedEvent`.
 */
export class ReleaseInventoryCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
  ) {}
}
