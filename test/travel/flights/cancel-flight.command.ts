import type { ICommand } from '@nestjs/cqrs';

/**
 * Cancel a trip's flight (compensation). Idempotent, and safe before the booking: it then leaves a tombstone so
 * that a late `BookFlightCommand` books nothing. Always answered by `FlightCancelledEvent`.
 */
export class CancelFlightCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly reason: string,
  ) {}
}
