import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Shipping records a parcel it took back (RECEIVED), and one it sent back to the customer (SENT_BACK). */
export class CreateShipmentReturns1764000000900 implements MigrationInterface {
  name = 'CreateShipmentReturns1764000000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE shipment_returns (
        order_id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('RECEIVED','SENT_BACK')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE shipment_returns`);
  }
}
