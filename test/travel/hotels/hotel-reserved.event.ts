import type { IEvent } from '@nestjs/cqrs';

export class HotelReservedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
  ) {}
}
