import type { IEvent } from '@nestjs/cqrs';

/** A returned order's units are available again. */
export class ReturnRestockedEvent implements IEvent {
  constructor(readonly orderId: string) {}
}
