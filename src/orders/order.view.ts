import type { OrderEntity } from './entities/order.entity';
import type { OrderLine, OrderShippingAddress } from './order-fulfillment.contract';
import type { OrderReturnStatus } from './order-return.contract';
import type { OrderStatus } from './order-status';

/** An order as `GET /orders/:id` shows it. */
export interface OrderView {
  id: string;
  customerId: string;
  status: OrderStatus;
  totalCents: number;
  items: OrderLine[];
  shippingAddress: OrderShippingAddress;
  sagaId: string;
  failureReason?: string;
  /** Set once a return was asked for (its reason is kept, not shown). */
  return?: { status: OrderReturnStatus };
  createdAt: string;
  updatedAt: string;
}

export function toOrderView(o: OrderEntity, returnStatus?: OrderReturnStatus): OrderView {
  return {
    id: o.id,
    customerId: o.customerId,
    status: o.status,
    totalCents: o.totalCents,
    items: o.items,
    shippingAddress: o.shippingAddress,
    sagaId: o.sagaId,
    ...(o.failureReason ? { failureReason: o.failureReason } : {}),
    ...(returnStatus ? { return: { status: returnStatus } } : {}),
    createdAt: new Date(o.createdAt).toISOString(),
    updatedAt: new Date(o.updatedAt).toISOString(),
  };
}
