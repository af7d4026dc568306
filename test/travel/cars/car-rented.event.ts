import type { IEvent } from '@nestjs/cqrs';

export class CarRentedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
  ) {}
}
