import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SagaOutbox } from 'sagaworks';
import { type CatalogEntry, CatalogPublishedEvent } from './events/catalog-published.event';
import { INVENTORY_OPTIONS, type InventoryOptions } from './inventory.options';

const CATALOG: ReadonlyArray<{ sku: string; name: string; priceCents: number }> = [
  { sku: 'SKU-001', name: 'Ceramic Mug', priceCents: 1299 },
  { sku: 'SKU-002', name: 'Cotton T-Shirt', priceCents: 2499 },
  { sku: 'SKU-003', name: 'Sticker Pack', priceCents: 499 },
  { sku: 'SKU-004', name: 'Wireless Headphones', priceCents: 8999 },
  { sku: 'SKU-005', name: 'Mechanical Keyboard', priceCents: 15000 },
];

/**
 * Seeds the catalog on start. Existing products are left alone (ON CONFLICT DO NOTHING), so a restart never
 * resets stock that orders have reserved, and instances starting together do not collide. When the services run
 * apart (the outbox goes to a broker), it then publishes the catalog for the orders service's copy.
 */
@Injectable()
export class InventorySeeder implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(INVENTORY_OPTIONS) private readonly options: InventoryOptions,
    private readonly outbox: SagaOutbox,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO inventory_products (sku, name, price_cents, available)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[])
       ON CONFLICT (sku) DO NOTHING`,
      [CATALOG.map((p) => p.sku), CATALOG.map((p) => p.name), CATALOG.map((p) => p.priceCents), CATALOG.map(() => this.options.seedStock)],
    );
    if (!this.outbox.durable) return;
    await this.outbox.publish(
      async (sql) =>
        new CatalogPublishedEvent(
          await sql.query<CatalogEntry[]>(`SELECT sku, name, price_cents::int AS "priceCents" FROM inventory_products ORDER BY sku`),
        ),
    );
  }
}
