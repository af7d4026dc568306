import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { HotelReservationFailedEvent } from './hotel-reservation-failed.event';
import { HotelReservedEvent } from './hotel-reserved.event';
import { ReserveHotelCommand } from './reserve-hotel.command';

/** No hotel exists there: every reservation is rejected. */
export const UNKNOWN_DESTINATION = 'ATLANTIS';

interface ReservationRow {
  status: 'RESERVED' | 'REJECTED' | 'CANCELLED';
  reason: string | null;
}

// The first row for a trip decides every later answer (see the flight booking handler).
const RESERVE_SQL = `
  INSERT INTO travel_hotel_reservations (trip_id, saga_id, destination, status, reason)
  VALUES ($1::uuid, $2::uuid, $3, $4, $5)
  ON CONFLICT (trip_id) DO NOTHING
  RETURNING status, reason`;

@CommandHandler(ReserveHotelCommand)
export class ReserveHotelHandler implements ICommandHandler<ReserveHotelCommand, void> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute(c: ReserveHotelCommand): Promise<void> {
    const rejection =
      c.destination === UNKNOWN_DESTINATION
        ? `no hotel in ${c.destination}`
        : !(c.nights > 0)
          ? `invalid stay of ${c.nights} nights`
          : null;
    const inserted = await this.dataSource.query<ReservationRow[]>(RESERVE_SQL, [
      c.tripId,
      c.sagaId,
      c.destination,
      rejection ? 'REJECTED' : 'RESERVED',
      rejection,
    ]);
    const row =
      inserted[0] ??
      (
        await this.dataSource.query<ReservationRow[]>(`SELECT status, reason FROM travel_hotel_reservations WHERE trip_id = $1`, [c.tripId])
      )[0];
    if (!row) throw new Error(`hotel reservation of trip ${c.tripId} conflicted but cannot be read`);
    if (row.status === 'RESERVED') this.eventBus.publish(new HotelReservedEvent(c.sagaId, c.tripId));
    else
      this.eventBus.publish(
        new HotelReservationFailedEvent(
          c.sagaId,
          c.tripId,
          row.status === 'CANCELLED' ? 'reservation was cancelled' : (row.reason ?? 'rejected'),
        ),
      );
  }
}
