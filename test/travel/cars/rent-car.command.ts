import type { ICommand } from '@nestjs/cqrs';

/**
 * Rent a car for a trip. Idempotent by trip; after a `ReturnCarCommand` for the same trip it rents nothing.
 * Answered by `CarRentedEvent` or `CarRentalFailedEvent` (class `TANK` is never available).
 */
export class RentCarCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly carClass: string,
  ) {}
}
