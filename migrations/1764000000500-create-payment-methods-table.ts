import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The payment module's vault: card tokens, kept out of saga data and history, referred to by id.
 * `payment_method_store(id, token)` stores one and returns its id. It is a function so that a caller can store a
 * token inside its own single statement (placing an order writes the order, its saga and the token together).
 */
export class CreatePaymentMethodsTable1764000000500 implements MigrationInterface {
  name = 'CreatePaymentMethodsTable1764000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_methods (
        id uuid PRIMARY KEY,
        token text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION payment_method_store(p_id uuid, p_token text) RETURNS uuid
      LANGUAGE sql VOLATILE AS $$
        INSERT INTO payment_methods (id, token) VALUES (p_id, p_token) RETURNING id
      $$`);
    // Sagas stored before the vault kept the token in their data: a saga still under way gets it moved to the
    // vault (its payment step reads it from there), and a finished one just loses it. (The payment module can
    // also run without the saga tables, as in its own spec.)
    const [{ sagas }] = (await q.query(`SELECT to_regclass('saga_instance') IS NOT NULL AS sagas`)) as { sagas: boolean }[];
    if (!sagas) return;
    await q.query(`
      WITH moved AS (
        SELECT id AS saga_id, gen_random_uuid() AS payment_method_id, data->>'paymentToken' AS token,
          status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED') AND jsonb_typeof(data->'paymentToken') = 'string' AS keep
        FROM saga_instance WHERE data ? 'paymentToken'
      ), stored AS (
        INSERT INTO payment_methods (id, token) SELECT payment_method_id, token FROM moved WHERE keep
      )
      UPDATE saga_instance s
      SET data = (s.data - 'paymentToken') || CASE WHEN m.keep THEN jsonb_build_object('paymentMethodId', m.payment_method_id) ELSE '{}' END
      FROM moved m WHERE s.id = m.saga_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION payment_method_store(uuid, text)`);
    await q.query(`DROP TABLE payment_methods`);
  }
}
