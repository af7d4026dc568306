import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The provider's reference of a charge: what a later refund (a return) is asked for by. */
export class AddPaymentProviderRef1764000001000 implements MigrationInterface {
  name = 'AddPaymentProviderRef1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payments ADD COLUMN provider_ref text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payments DROP COLUMN provider_ref`);
  }
}
