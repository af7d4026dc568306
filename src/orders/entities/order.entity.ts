import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { OrderLine, OrderShippingAddress } from '../order-fulfillment.contract';
import type { OrderStatus } from '../order-status';

@Entity({ name: 'orders' })
export class OrderEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text', { name: 'customer_id' }) customerId: string;
  @Column('text') status: OrderStatus;
  @Column('int', { name: 'total_cents' }) totalCents: number;
  @Column('jsonb') items: OrderLine[];
  @Column('jsonb', { name: 'shipping_address' }) shippingAddress: OrderShippingAddress;
  @Column('uuid', { name: 'saga_id' }) sagaId: string;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @Column('text', { name: 'request_hash' }) requestHash: string;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
