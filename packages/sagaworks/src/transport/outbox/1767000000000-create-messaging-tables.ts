import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CreateOutboxPutFunction1767000000100 } from './1767000000100-create-outbox-put-function.js';

/**
 * The tables of a service that exchanges messages over a broker, in that service's own database:
 * - `sagaworks_outbox`: events written in the same transaction as the business write that produced them, until
 *   the relay has published them (and the broker confirmed);
 * - `sagaworks_inbox`: the ids of the messages whose handlers committed, so a redelivered one changes nothing.
 */
export class CreateMessagingTables1767000000000 implements MigrationInterface {
  name = 'CreateMessagingTables1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sagaworks_outbox (
        id uuid PRIMARY KEY,
        type text NOT NULL,
        body jsonb NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sagaworks_outbox_created ON sagaworks_outbox (created_at)`);
    await q.query(`
      CREATE TABLE sagaworks_inbox (
        message_id text PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sagaworks_inbox_received ON sagaworks_inbox (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sagaworks_inbox`);
    await q.query(`DROP TABLE sagaworks_outbox`);
  }
}

/** The migrations of a service that uses `SagaOutbox` with a broker; add them to its `migrations` list. */
export const messagingMigrations = [CreateMessagingTables1767000000000, CreateOutboxPutFunction1767000000100];
