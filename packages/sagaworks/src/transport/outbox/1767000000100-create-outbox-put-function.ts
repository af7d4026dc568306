import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sagaworks_outbox_put(id, type, body, headers)` stores one outbox row and returns its id. It is a function so
 * that a caller can put an event in the outbox inside a statement of its own, one evaluated once per row it
 * writes (a RETURNING list): the event then commits with that write or not at all (`outboxPutSql`).
 */
export class CreateOutboxPutFunction1767000000100 implements MigrationInterface {
  name = 'CreateOutboxPutFunction1767000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION sagaworks_outbox_put(p_id uuid, p_type text, p_body jsonb, p_headers jsonb) RETURNS uuid
      LANGUAGE sql VOLATILE AS $$
        INSERT INTO sagaworks_outbox (id, type, body, headers) VALUES (p_id, p_type, p_body, p_headers) RETURNING id
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION sagaworks_outbox_put(uuid, text, jsonb, jsonb)`);
  }
}
