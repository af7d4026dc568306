import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CancelFlightCommand } from './cancel-flight.command';
import { FlightCancelledEvent } from './flight-cancelled.event';

// One statement: no row yet means the booking has not arrived (or never will), so a tombstone is left for it to
// find; a BOOKED row is cancelled; REJECTED and CANCELLED rows stay as they are, which makes a repeat harmless.
const CANCEL_SQL = `
  INSERT INTO travel_flight_bookings AS b (trip_id, saga_id, status, reason, tombstone)
  VALUES ($1::uuid, $2::uuid, 'CANCELLED', 'cancelled before any booking', true)
  ON CONFLICT (trip_id) DO UPDATE SET status = 'CANCELLED', reason = $3, updated_at = now()
    WHERE b.status = 'BOOKED'`;

@CommandHandler(CancelFlightCommand)
export class CancelFlightHandler implements ICommandHandler<CancelFlightCommand, void> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute(c: CancelFlightCommand): Promise<void> {
    await this.dataSource.query(CANCEL_SQL, [c.tripId, c.sagaId, c.reason]);
    this.eventBus.publish(new FlightCancelledEvent(c.sagaId, c.tripId));
  }
}
