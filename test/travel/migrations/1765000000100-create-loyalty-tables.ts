import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The loyalty choreography's three participants, one table each, keyed by trip. */
export class CreateLoyaltyTables1765000000100 implements MigrationInterface {
  name = 'CreateLoyaltyTables1765000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE loyalty_stays (
        trip_id uuid PRIMARY KEY,
        member_id text NOT NULL,
        nights int NOT NULL CHECK (nights > 0),
        status text NOT NULL CHECK (status IN ('CHECKED_OUT', 'UNREWARDED'))
      )`);
    await q.query(`
      CREATE TABLE loyalty_ledger (
        trip_id uuid PRIMARY KEY,
        member_id text NOT NULL,
        points int NOT NULL CHECK (points > 0)
      )`);
    await q.query(`CREATE TABLE loyalty_tiers (member_id text PRIMARY KEY, tier text NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE loyalty_tiers`);
    await q.query(`DROP TABLE loyalty_ledger`);
    await q.query(`DROP TABLE loyalty_stays`);
  }
}
