import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A catalog product and its stock. Stock is only changed by conditional SQL in the command handlers. */
@Entity({ name: 'inventory_products' })
export class ProductEntity {
  @PrimaryColumn('text') sku: string;
  @Column('text') name: string;
  @Column('int', { name: 'price_cents' }) priceCents: number;
  @Column('int') available: number;
  @Column('int') reserved: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
