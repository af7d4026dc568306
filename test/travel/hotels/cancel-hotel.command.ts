import type { ICommand } from '@nestjs/cqrs';

/**
 * Cancel a trip's hotel reservation (compensation). Idempotent, and safe before the reservation: it then leaves
 * a tombstone. Always answered by `HotelCancelledEvent`.
 */
export class CancelHotelCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly reason: string,
  ) {}
}
