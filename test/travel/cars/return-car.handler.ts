import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CarReturnedEvent } from './car-returned.event';
import { ReturnCarCommand } from './return-car.command';

// A RENTED row is returned; no row yet leaves a tombstone for a late rental to find; anything else stays.
const RETURN_SQL = `
  INSERT INTO travel_car_rentals AS r (trip_id, saga_id, status, reason, tombstone)
  VALUES ($1::uuid, $2::uuid, 'RETURNED', 'returned before any rental', true)
  ON CONFLICT (trip_id) DO UPDATE SET status = 'RETURNED', reason = $3, updated_at = now()
    WHERE r.status = 'RENTED'`;

@CommandHandler(ReturnCarCommand)
export class ReturnCarHandler implements ICommandHandler<ReturnCarCommand, void> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute(c: ReturnCarCommand): Promise<void> {
    await this.dataSource.query(RETURN_SQL, [c.tripId, c.sagaId, c.reason]);
    this.eventBus.publish(new CarReturnedEvent(c.sagaId, c.tripId));
  }
}
