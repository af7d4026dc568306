import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The shipping module's table: at most one shipment row per order. */
export class CreateShipmentsTables1764000000400 implements MigrationInterface {
  name = 'CreateShipmentsTables1764000000400';

  async up(q: QueryRunner): Promise<void> {
    // VOIDED is the tombstone a cancellation leaves when it arrives before the shipment was created.
    await q.query(`
      CREATE TABLE shipments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL UNIQUE,
        saga_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('CREATED','CANCELLED','REJECTED','VOIDED')),
        tracking_number text,
        address jsonb NOT NULL,
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT shipments_created_has_tracking CHECK (status NOT IN ('CREATED','CANCELLED') OR tracking_number IS NOT NULL)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE shipments`);
  }
}
