import type { OrderEntity } from './entities/order.entity';
import type { OrderLine, OrderShippingAddress } from './order-fulfillment.contract';
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
  createdAt: string;
  updatedAt: string;
}

export function toOrderView(o: OrderEntity): OrderView {
  return {
    id: o.id,
    customerId: o.customerId,
    status: o.status,
    totalCents: o.totalCents,
    items: o.items,
    shippingAddress: o.shippingAddress,
    sagaId: o.sagaId,
    ...(o.failureReason ? { failureReason: o.failureReason } : {}),
    createdAt: new Date(o.createdAt).toISOString(),
    updatedAt: new Date(o.updatedAt).toISOString(),
  };
}
