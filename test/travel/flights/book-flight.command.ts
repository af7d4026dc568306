import type { ICommand } from '@nestjs/cqrs';

/**
 * Book a seat for a trip. Idempotent by trip: a repeat answers from the stored booking. After a
 * `CancelFlightCommand` for the same trip it books nothing. Answered by `FlightBookedEvent` or
 * `FlightBookingFailedEvent`, except for flight `SLOW`, whose airline never answers.
 */
export class BookFlightCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly flightNo: string,
  ) {}
}
