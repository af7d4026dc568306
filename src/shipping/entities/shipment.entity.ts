import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ShippingAddress } from '../shipping-address';

/** REJECTED: the address cannot be served. VOIDED: a tombstone, a cancellation that arrived before creation. */
export type ShipmentStatus = 'CREATED' | 'CANCELLED' | 'REJECTED' | 'VOIDED';

/** One shipment per order (unique `order_id`). Written only by conditional SQL in the command handlers. */
@Entity({ name: 'shipments' })
export class ShipmentEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'order_id', unique: true }) orderId: string;
  @Column('uuid', { name: 'saga_id' }) sagaId: string;
  @Column('text') status: ShipmentStatus;
  @Column('text', { name: 'tracking_number', nullable: true }) trackingNumber: string | null;
  /** Empty (`{}`) on a VOIDED tombstone. */
  @Column('jsonb') address: Partial<ShippingAddress>;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
