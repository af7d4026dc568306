import { randomUUID } from 'node:crypto';
import { Command } from '@nestjs/cqrs';
import type { OrderShippingAddress } from '../../order-fulfillment.contract';
import type { OrderView } from '../../order.view';

export interface PlaceOrderInput {
  customerId: string;
  items: ReadonlyArray<{ sku: string; quantity: number }>;
  paymentToken: string;
  shippingAddress: OrderShippingAddress;
}

export interface PlaceOrderResult {
  order: OrderView;
  /** True when an earlier request with the same idempotency key created the order. */
  replayed: boolean;
}

/**
 * Stores a new order and starts its fulfillment saga, atomically. The order id is fixed when the command is
 * made, so the same command delivered twice is one order, with or without an idempotency key.
 */
export class PlaceOrderCommand extends Command<PlaceOrderResult> {
  constructor(
    public readonly input: PlaceOrderInput,
    public readonly idempotencyKey?: string,
    public readonly orderId: string = randomUUID(),
  ) {
    super();
  }
}
