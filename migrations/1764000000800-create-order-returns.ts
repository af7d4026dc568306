import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Orders keeps each return request (one per order) and a returned order's status. */
export class CreateOrderReturns1764000000800 implements MigrationInterface {
  name = 'CreateOrderReturns1764000000800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_status_check`);
    await q.query(`ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('PENDING','CONFIRMED','CANCELLED','RETURNED'))`);
    await q.query(`
      CREATE TABLE order_returns (
        order_id uuid PRIMARY KEY REFERENCES orders (id),
        status text NOT NULL CHECK (status IN ('REQUESTED','RETURNED','REFUSED')),
        reason text,
        idempotency_key text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_returns`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_status_check`);
    await q.query(`ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('PENDING','CONFIRMED','CANCELLED'))`);
  }
}
