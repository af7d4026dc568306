import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The orders service's copy of the catalog (`sku`, `name`, `price_cents`), for when inventory runs in another
 * process: an order is priced from it in the statement that places it. Fed by `CatalogPublishedEvent`.
 */
export class CreateOrderCatalog1764000000700 implements MigrationInterface {
  name = 'CreateOrderCatalog1764000000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE order_catalog (
        sku text PRIMARY KEY,
        name text NOT NULL,
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_catalog`);
  }
}
