import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The inventory module's tables: the catalog with its stock, and one reservation row per order. */
export class CreateInventoryTables1764000000200 implements MigrationInterface {
  name = 'CreateInventoryTables1764000000200';

  async up(q: QueryRunner): Promise<void> {
    // The CHECKs are the last line of defence for stock conservation: a bug that would oversell aborts the
    // statement instead of writing a negative count.
    await q.query(`
      CREATE TABLE inventory_products (
        sku text PRIMARY KEY,
        name text NOT NULL,
        price_cents int NOT NULL CHECK (price_cents >= 0),
        available int NOT NULL CHECK (available >= 0),
        reserved int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Keyed by order: the primary key is what makes ReserveInventory idempotent and lets a release that arrives
    // first leave a tombstone.
    await q.query(`
      CREATE TABLE inventory_reservations (
        order_id uuid PRIMARY KEY,
        saga_id uuid NOT NULL,
        items jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('RESERVED','REJECTED','RELEASED')),
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE inventory_reservations`);
    await q.query(`DROP TABLE inventory_products`);
  }
}
