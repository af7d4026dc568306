import type { IEvent } from '@nestjs/cqrs';

/** The order is RETURNED: refunded and restocked. The order-return flow's last milestone. */
export class OrderReturnedEvent implements IEvent {
  constructor(readonly orderId: string) {}
}
