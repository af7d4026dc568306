import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A returned order's reservation is RESTOCKED: its units are available again. */
export class AllowRestockedReservations1764000001100 implements MigrationInterface {
  name = 'AllowRestockedReservations1764000001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inventory_reservations DROP CONSTRAINT inventory_reservations_status_check`);
    await q.query(
      `ALTER TABLE inventory_reservations ADD CONSTRAINT inventory_reservations_status_check CHECK (status IN ('RESERVED','REJECTED','RELEASED','RESTOCKED'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE inventory_reservations DROP CONSTRAINT inventory_reservations_status_check`);
    await q.query(
      `ALTER TABLE inventory_reservations ADD CONSTRAINT inventory_reservations_status_check CHECK (status IN ('RESERVED','REJECTED','RELEASED'))`,
    );
  }
}
