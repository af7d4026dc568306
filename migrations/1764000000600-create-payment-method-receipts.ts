import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ids of the card tokens the payment service was handed, or told to drop, by message (when the services run
 * apart). A token is kept only at the first message about its id, so a redelivered or late "provided" never
 * brings back a token that was used or withdrawn; and a charge that finds neither token nor receipt knows the
 * token is still on its way, not gone.
 */
export class CreatePaymentMethodReceipts1764000000600 implements MigrationInterface {
  name = 'CreatePaymentMethodReceipts1764000000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_method_receipts (
        id uuid PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payment_method_receipts`);
  }
}
