import { Column, Entity, PrimaryColumn } from 'typeorm';

/** VOIDED is a tombstone: a refund that arrived before any charge. It never appears in the API. */
export type PaymentStatus = 'CHARGED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';

/** One payment per order (unique `order_id`). Written only by conditional SQL in the command handlers. */
@Entity({ name: 'payments' })
export class PaymentEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'order_id', unique: true }) orderId: string;
  @Column('uuid', { name: 'saga_id' }) sagaId: string;
  @Column('int', { name: 'amount_cents' }) amountCents: number;
  @Column('text') status: PaymentStatus;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
