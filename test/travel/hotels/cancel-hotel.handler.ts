import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CancelHotelCommand } from './cancel-hotel.command';
import { HotelCancelledEvent } from './hotel-cancelled.event';

/** Cancels a RESERVED row, or leaves a tombstone when there is none yet; SQL shared with the broken variants. */
export const CANCEL_HOTEL_SQL = `
  INSERT INTO travel_hotel_reservations AS r (trip_id, saga_id, status, reason, tombstone)
  VALUES ($1::uuid, $2::uuid, 'CANCELLED', 'cancelled before any reservation', true)
  ON CONFLICT (trip_id) DO UPDATE SET status = 'CANCELLED', reason = $3, updated_at = now()
    WHERE r.status = 'RESERVED'`;

@CommandHandler(CancelHotelCommand)
export class CancelHotelHandler implements ICommandHandler<CancelHotelCommand, void> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute(c: CancelHotelCommand): Promise<void> {
    await this.dataSource.query(CANCEL_HOTEL_SQL, [c.tripId, c.sagaId, c.reason]);
    this.eventBus.publish(new HotelCancelledEvent(c.sagaId, c.tripId));
  }
}
