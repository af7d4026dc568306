import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the saga list (`listSagas`), which pages by keyset on (created_at DESC, id DESC): one for the plain
 * list and one per filter, so every page is an index range read, never a scan and sort of the whole table. The
 * status index of the first migration ordered by created_at alone, without the id the keyset needs to break ties;
 * the new one with the id takes its place. A correlation id matches a handful of rows, so its index needs no order.
 */
export class IndexSagaList1766000000000 implements MigrationInterface {
  name = 'IndexSagaList1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX saga_instance_created_idx ON saga_instance (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX saga_instance_status_created_idx ON saga_instance (status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX saga_instance_type_created_idx ON saga_instance (type, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX saga_instance_correlation_idx ON saga_instance (correlation_id)`);
    await q.query(`DROP INDEX saga_instance_status_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX saga_instance_status_idx ON saga_instance (status, created_at DESC)`);
    await q.query(`DROP INDEX saga_instance_correlation_idx`);
    await q.query(`DROP INDEX saga_instance_type_created_idx`);
    await q.query(`DROP INDEX saga_instance_status_created_idx`);
    await q.query(`DROP INDEX saga_instance_created_idx`);
  }
}
