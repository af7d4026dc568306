import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrdersTables1764000000100 implements MigrationInterface {
  name = 'CreateOrdersTables1764000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        customer_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING','CONFIRMED','CANCELLED')),
        total_cents int NOT NULL CHECK (total_cents >= 0),
        items jsonb NOT NULL,
        shipping_address jsonb NOT NULL,
        saga_id uuid NOT NULL UNIQUE,
        idempotency_key text UNIQUE,
        request_hash text NOT NULL,
        failure_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX orders_status_idx ON orders (status, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE orders`);
  }
}
