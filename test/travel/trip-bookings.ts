import type { DataSource } from 'typeorm';

export interface BookingRecord {
  status: string;
  reason: string | null;
  tombstone: boolean;
}

/** What each service recorded for a trip (null: it never heard of it). */
export interface TripBookings {
  flight: (BookingRecord & { booking_ref: string | null }) | null;
  hotel: BookingRecord | null;
  car: BookingRecord | null;
}

export async function tripBookings(ds: DataSource, tripId: string): Promise<TripBookings> {
  const [flight] = await ds.query<(BookingRecord & { booking_ref: string | null })[]>(
    `SELECT status, reason, tombstone, booking_ref FROM travel_flight_bookings WHERE trip_id = $1`,
    [tripId],
  );
  const [hotel] = await ds.query<BookingRecord[]>(`SELECT status, reason, tombstone FROM travel_hotel_reservations WHERE trip_id = $1`, [
    tripId,
  ]);
  const [car] = await ds.query<BookingRecord[]>(`SELECT status, reason, tombstone FROM travel_car_rentals WHERE trip_id = $1`, [tripId]);
  return { flight: flight ?? null, hotel: hotel ?? null, car: car ?? null };
}

/** Bookings of a trip still holding a seat, a room or a car. */
export async function activeBookings(ds: DataSource, tripId: string): Promise<{ flights: number; hotels: number; cars: number }> {
  const [row] = await ds.query<{ flights: number; hotels: number; cars: number }[]>(
    `SELECT
       (SELECT count(*)::int FROM travel_flight_bookings WHERE trip_id = $1 AND status = 'BOOKED') AS flights,
       (SELECT count(*)::int FROM travel_hotel_reservations WHERE trip_id = $1 AND status = 'RESERVED') AS hotels,
       (SELECT count(*)::int FROM travel_car_rentals WHERE trip_id = $1 AND status = 'RENTED') AS cars`,
    [tripId],
  );
  return row;
}
