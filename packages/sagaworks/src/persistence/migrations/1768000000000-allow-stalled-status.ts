import type { MigrationInterface, QueryRunner } from 'typeorm';

const STATUSES = `'STARTED','RUNNING','COMPENSATING','COMPLETED','COMPENSATED','FAILED'`;

/** Choreographed flows share the saga table, and one whose next event is overdue is STALLED. */
export class AllowStalledStatus1768000000000 implements MigrationInterface {
  name = 'AllowStalledStatus1768000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE saga_instance DROP CONSTRAINT saga_instance_status_check`);
    await q.query(`ALTER TABLE saga_instance ADD CONSTRAINT saga_instance_status_check CHECK (status IN (${STATUSES},'STALLED'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE saga_instance DROP CONSTRAINT saga_instance_status_check`);
    await q.query(`ALTER TABLE saga_instance ADD CONSTRAINT saga_instance_status_check CHECK (status IN (${STATUSES}))`);
  }
}
