import type { IEvent } from '@nestjs/cqrs';

export class FlightBookedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly bookingRef: string,
  ) {}
}
