import type { IEvent } from '@nestjs/cqrs';

export class HotelCancelledEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
  ) {}
}
