import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The saga module's tables: one row per saga instance, and its append-only history. */
export class CreateSagaTables1764000000000 implements MigrationInterface {
  name = 'CreateSagaTables1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE saga_instance (
        id uuid PRIMARY KEY,
        type text NOT NULL,
        correlation_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('STARTED','RUNNING','COMPENSATING','COMPLETED','COMPENSATED','FAILED')),
        step_index int NOT NULL,
        current_step text,
        steps jsonb NOT NULL,
        data jsonb NOT NULL,
        failure_reason text,
        due_at timestamptz,
        lease_owner text,
        lease_until timestamptz,
        wake_at timestamptz,
        version int NOT NULL,
        history_seq int NOT NULL,
        definition_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT saga_instance_type_correlation_uq UNIQUE (type, correlation_id)
      )`);
    // The timeout job's claim reads this index only: active sagas ordered by when they need attention.
    await q.query(`CREATE INDEX saga_instance_wake_idx ON saga_instance (wake_at) WHERE wake_at IS NOT NULL`);
    await q.query(`CREATE INDEX saga_instance_status_idx ON saga_instance (status, created_at DESC)`);
    await q.query(`
      CREATE TABLE saga_history (
        saga_id uuid NOT NULL REFERENCES saga_instance (id) ON DELETE CASCADE,
        seq int NOT NULL,
        step text,
        from_status text,
        to_status text NOT NULL,
        reason text,
        at timestamptz NOT NULL,
        PRIMARY KEY (saga_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE saga_history`);
    await q.query(`DROP TABLE saga_instance`);
  }
}
