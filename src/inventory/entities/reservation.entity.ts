import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ReservationItem } from '../commands/impl/reserve-inventory.command';

export type ReservationStatus = 'RESERVED' | 'REJECTED' | 'RELEASED';

/** What an order holds (or was refused, or gave back). One row per order; a RELEASED row may be a tombstone. */
@Entity({ name: 'inventory_reservations' })
export class ReservationEntity {
  @PrimaryColumn('uuid', { name: 'order_id' }) orderId: string;
  @Column('uuid', { name: 'saga_id' }) sagaId: string;
  @Column('jsonb') items: ReservationItem[];
  @Column('text') status: ReservationStatus;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
