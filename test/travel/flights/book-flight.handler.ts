import { randomBytes } from 'node:crypto';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BookFlightCommand } from './book-flight.command';
import { FlightBookedEvent } from './flight-booked.event';
import { FlightBookingFailedEvent } from './flight-booking-failed.event';

/** The airline of this flight never answers (the saga must time out, retry and give up). */
export const SILENT_FLIGHT_NO = 'SLOW';
/** This flight is sold out: the booking is rejected. */
export const SOLD_OUT_FLIGHT_NO = 'FULL';

interface BookingRow {
  status: 'BOOKED' | 'REJECTED' | 'CANCELLED';
  booking_ref: string | null;
  reason: string | null;
}

// ON CONFLICT DO NOTHING makes the first row for a trip the arbiter: a repeat, or a booking that arrives after
// its cancellation's tombstone, inserts nothing and is answered from the stored row.
const BOOK_SQL = `
  INSERT INTO travel_flight_bookings (trip_id, saga_id, flight_no, status, booking_ref, reason)
  VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6)
  ON CONFLICT (trip_id) DO NOTHING
  RETURNING status, booking_ref, reason`;

@CommandHandler(BookFlightCommand)
export class BookFlightHandler implements ICommandHandler<BookFlightCommand, void> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute(c: BookFlightCommand): Promise<void> {
    if (c.flightNo === SILENT_FLIGHT_NO) return;
    const soldOut = c.flightNo === SOLD_OUT_FLIGHT_NO;
    const ref = soldOut ? null : `FL-${randomBytes(4).toString('hex').toUpperCase()}`;
    const inserted = await this.dataSource.query<BookingRow[]>(BOOK_SQL, [
      c.tripId,
      c.sagaId,
      c.flightNo,
      soldOut ? 'REJECTED' : 'BOOKED',
      ref,
      soldOut ? `flight ${c.flightNo} is sold out` : null,
    ]);
    // A separate statement, so that it sees a row a concurrent twin committed after our insert's snapshot.
    const row =
      inserted[0] ??
      (
        await this.dataSource.query<BookingRow[]>(`SELECT status, booking_ref, reason FROM travel_flight_bookings WHERE trip_id = $1`, [
          c.tripId,
        ])
      )[0];
    if (!row) throw new Error(`flight booking of trip ${c.tripId} conflicted but cannot be read`);
    // The command's sagaId is echoed: the reply answers this command.
    if (row.status === 'BOOKED') this.eventBus.publish(new FlightBookedEvent(c.sagaId, c.tripId, row.booking_ref ?? ''));
    else
      this.eventBus.publish(
        new FlightBookingFailedEvent(c.sagaId, c.tripId, row.status === 'CANCELLED' ? 'booking was cancelled' : (row.reason ?? 'rejected')),
      );
  }
}
