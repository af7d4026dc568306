import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The payment module's table: at most one payment row per order. */
export class CreatePaymentsTables1764000000300 implements MigrationInterface {
  name = 'CreatePaymentsTables1764000000300';

  async up(q: QueryRunner): Promise<void> {
    // UNIQUE (order_id) is what proves "never two charges for one order"; VOIDED is the tombstone a refund leaves
    // when it arrives before the charge.
    await q.query(`
      CREATE TABLE payments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL UNIQUE,
        saga_id uuid NOT NULL,
        amount_cents int NOT NULL CHECK (amount_cents >= 0),
        status text NOT NULL CHECK (status IN ('CHARGED','DECLINED','REFUNDED','VOIDED')),
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payments`);
  }
}
