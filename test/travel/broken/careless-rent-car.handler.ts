import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CarRentalFailedEvent } from '../cars/car-rental-failed.event';
import { CarRentedEvent } from '../cars/car-rented.event';
import { RentCarCommand } from '../cars/rent-car.command';

/**
 * Deliberately not idempotent: a repeated `RentCarCommand` (a retry after a lost reply) is taken for a second
 * customer and refused, although the first attempt rented the car. The saga then compensates the hotel and the
 * flight but not the car, whose step "failed", and the rental leaks.
 */
@CommandHandler(RentCarCommand)
export class CarelessRentCarHandler implements ICommandHandler<RentCarCommand, void> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute(c: RentCarCommand): Promise<void> {
    const rented = await this.dataSource.query<unknown[]>(
      `INSERT INTO travel_car_rentals (trip_id, saga_id, car_class, status) VALUES ($1::uuid, $2::uuid, $3, 'RENTED')
       ON CONFLICT (trip_id) DO NOTHING RETURNING 1`,
      [c.tripId, c.sagaId, c.carClass],
    );
    if (rented.length === 1) this.eventBus.publish(new CarRentedEvent(c.sagaId, c.tripId));
    else this.eventBus.publish(new CarRentalFailedEvent(c.sagaId, c.tripId, 'a car is already rented for this trip'));
  }
}
