import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CarRentalFailedEvent } from './car-rental-failed.event';
import { CarRentedEvent } from './car-rented.event';
import { RentCarCommand } from './rent-car.command';

/** Never in stock: every rental of this class fails. */
export const UNAVAILABLE_CAR_CLASS = 'TANK';

interface RentalRow {
  status: 'RENTED' | 'REJECTED' | 'RETURNED';
  reason: string | null;
}

// The first row for a trip decides every later answer (see the flight booking handler).
const RENT_SQL = `
  INSERT INTO travel_car_rentals (trip_id, saga_id, car_class, status, reason)
  VALUES ($1::uuid, $2::uuid, $3, $4, $5)
  ON CONFLICT (trip_id) DO NOTHING
  RETURNING status, reason`;

@CommandHandler(RentCarCommand)
export class RentCarHandler implements ICommandHandler<RentCarCommand, void> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute(c: RentCarCommand): Promise<void> {
    const rejection = c.carClass === UNAVAILABLE_CAR_CLASS ? `no ${c.carClass} available` : null;
    const inserted = await this.dataSource.query<RentalRow[]>(RENT_SQL, [
      c.tripId,
      c.sagaId,
      c.carClass,
      rejection ? 'REJECTED' : 'RENTED',
      rejection,
    ]);
    const row =
      inserted[0] ??
      (await this.dataSource.query<RentalRow[]>(`SELECT status, reason FROM travel_car_rentals WHERE trip_id = $1`, [c.tripId]))[0];
    if (!row) throw new Error(`car rental of trip ${c.tripId} conflicted but cannot be read`);
    if (row.status === 'RENTED') this.eventBus.publish(new CarRentedEvent(c.sagaId, c.tripId));
    else
      this.eventBus.publish(
        new CarRentalFailedEvent(c.sagaId, c.tripId, row.status === 'RETURNED' ? 'rental was returned' : (row.reason ?? 'rejected')),
      );
  }
}
