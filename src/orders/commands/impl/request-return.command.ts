import { Command } from '@nestjs/cqrs';
import type { OrderReturnStatus } from '../../order-return.contract';

export interface RequestReturnResult {
  orderId: string;
  status: OrderReturnStatus;
  /** True when an earlier request with the same idempotency key asked for this return. */
  replayed: boolean;
}

/** Asks for a confirmed order's return: records the request and begins the order-return flow, atomically. */
export class RequestReturnCommand extends Command<RequestReturnResult> {
  constructor(
    readonly orderId: string,
    readonly reason: string | undefined,
    readonly idempotencyKey: string | undefined,
  ) {
    super();
  }
}
