import type { IEvent } from '@nestjs/cqrs';

export class CarRentalFailedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly reason: string,
  ) {}
}
