import type { MigrationInterface, QueryRunner } from 'typeorm';

/** This migration's function, which `StoreTransitionsInOneStatement1768000000200` replaces (and its down restores). */
export function storeTransitionsV1(verb: 'CREATE' | 'CREATE OR REPLACE'): string {
  return `
      ${verb} FUNCTION saga_store_transitions(batch jsonb) RETURNS SETOF uuid LANGUAGE plpgsql AS $fn$
      DECLARE
        r record;
        stored_seq int;
      BEGIN
        FOR r IN
          SELECT * FROM jsonb_to_recordset(batch) AS v(id uuid, version int, status text, step_index int, current_step text,
            steps jsonb, data jsonb, failure_reason text, due_at timestamptz, lease_owner text, lease_until timestamptz,
            wake_at timestamptz, n int, updated_at timestamptz, definition_hash text, history jsonb)
          ORDER BY id
        LOOP
          UPDATE saga_instance SET status = r.status, step_index = r.step_index, current_step = r.current_step, steps = r.steps,
            data = r.data, failure_reason = r.failure_reason, due_at = r.due_at, lease_owner = r.lease_owner,
            lease_until = r.lease_until, wake_at = r.wake_at, version = version + 1, history_seq = history_seq + r.n,
            updated_at = r.updated_at, definition_hash = r.definition_hash
          WHERE id = r.id AND version = r.version
          RETURNING history_seq INTO stored_seq;
          IF FOUND THEN
            INSERT INTO saga_history (saga_id, seq, step, from_status, to_status, reason, at)
            SELECT r.id, stored_seq - r.n + x.i, x.step, x.from_status, x.to_status, x.reason, r.updated_at
            FROM jsonb_to_recordset(r.history) AS x(i int, step text, from_status text, to_status text, reason text);
            RETURN NEXT r.id;
          END IF;
        END LOOP;
      END
      $fn$`;
}

/**
 * `saga_store_transitions(batch)`: stores the transitions of several sagas in one call, each exactly as the
 * single-row statement of `SagaStore` does (conditional on its version, history appended), and returns the ids it
 * stored. A function rather than one `UPDATE … FROM` over the batch: each of its statements is a primary-key
 * lookup whose cached plan cannot turn into a join over the whole table, and nothing is planned per call.
 * Rows are taken in id order, so two instances storing overlapping batches lock them in the same order.
 */
export class CreateSagaBatchFunction1765000000000 implements MigrationInterface {
  name = 'CreateSagaBatchFunction1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(storeTransitionsV1('CREATE'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION saga_store_transitions(jsonb)`);
  }
}
