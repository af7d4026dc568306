import { Module } from '@nestjs/common';
import { RentCarHandler } from './rent-car.handler';
import { ReturnCarHandler } from './return-car.handler';

/** Car rentals, one per trip (`travel_car_rentals`). Uses the host's global `CqrsModule.forRoot()` buses. */
@Module({ providers: [RentCarHandler, ReturnCarHandler] })
export class CarsModule {}
