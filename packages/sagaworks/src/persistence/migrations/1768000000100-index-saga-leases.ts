import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The timeout job renews its own instance's leases at every pass. Without this index that renewal read every
 * saga in flight: 130 ms a pass among a million. With it, it reads the instance's own leased rows only.
 */
export class IndexSagaLeases1768000000100 implements MigrationInterface {
  name = 'IndexSagaLeases1768000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX saga_instance_lease_idx ON saga_instance (lease_owner, lease_until) WHERE wake_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX saga_instance_lease_idx`);
  }
}
