import type { IEvent } from '@nestjs/cqrs';

export class HotelReservationFailedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly reason: string,
  ) {}
}
