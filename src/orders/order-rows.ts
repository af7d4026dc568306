import type { OrderEntity } from './entities/order.entity';

/** Raw `orders` row, as `INSERT/UPDATE ... RETURNING *` gives it. */
export interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderEntity['status'];
  total_cents: number;
  items: OrderEntity['items'];
  shipping_address: OrderEntity['shippingAddress'];
  saga_id: string;
  idempotency_key: string | null;
  request_hash: string;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export function fromOrderRow(r: OrderRow): OrderEntity {
  return {
    id: r.id,
    customerId: r.customer_id,
    status: r.status,
    totalCents: Number(r.total_cents),
    items: r.items,
    shippingAddress: r.shipping_address,
    sagaId: r.saga_id,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    failureReason: r.failure_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
