import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A card token in the vault (`payment_methods`): the only place it is stored. Everything else (saga data, the
 * payment command) carries the id. Written by `payment_method_store()` and removed once it is no longer needed
 * (see PaymentMethodVault).
 */
@Entity({ name: 'payment_methods' })
export class PaymentMethodEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') token: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
