import type { ICommand } from '@nestjs/cqrs';

/**
 * Reserve a room at the trip's destination. Idempotent by trip; after a `CancelHotelCommand` for the same trip
 * it reserves nothing. Answered by `HotelReservedEvent` or `HotelReservationFailedEvent` (no hotel in `ATLANTIS`).
 */
export class ReserveHotelCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly destination: string,
    public readonly nights: number,
  ) {}
}
