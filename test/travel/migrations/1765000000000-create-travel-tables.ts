import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One table per travel service, each keyed by trip: the key is what makes a repeated command a no-op and lets a
 * cancellation that overtakes its booking leave a tombstone (status CANCELLED/RETURNED, `tombstone` true).
 */
export class CreateTravelTables1765000000000 implements MigrationInterface {
  name = 'CreateTravelTables1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE travel_flight_bookings (
        trip_id uuid PRIMARY KEY,
        saga_id uuid NOT NULL,
        flight_no text,
        status text NOT NULL CHECK (status IN ('BOOKED', 'REJECTED', 'CANCELLED')),
        booking_ref text,
        reason text,
        tombstone boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE travel_hotel_reservations (
        trip_id uuid PRIMARY KEY,
        saga_id uuid NOT NULL,
        destination text,
        status text NOT NULL CHECK (status IN ('RESERVED', 'REJECTED', 'CANCELLED')),
        reason text,
        tombstone boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE travel_car_rentals (
        trip_id uuid PRIMARY KEY,
        saga_id uuid NOT NULL,
        car_class text,
        status text NOT NULL CHECK (status IN ('RENTED', 'REJECTED', 'RETURNED')),
        reason text,
        tombstone boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE travel_car_rentals`);
    await q.query(`DROP TABLE travel_hotel_reservations`);
    await q.query(`DROP TABLE travel_flight_bookings`);
  }
}
