import { Module } from '@nestjs/common';
import { SagaModule } from 'sagaworks';
import { CarsModule } from './cars/cars.module';
import { FlightsModule } from './flights/flights.module';
import { HotelsModule } from './hotels/hotels.module';
import { tripSaga } from './trip.saga';
import { TripSagas } from './trip.sagas';

/**
 * Travel booking: three services and the trip saga that ties them together. Needs, in the host app,
 * `CqrsModule.forRoot()`, `ScheduleModule.forRoot()`, a TypeORM connection with `travelMigrations`, and
 * `SagaModule.forRoot(...)`.
 */
@Module({
  imports: [FlightsModule, HotelsModule, CarsModule, SagaModule.forFeature([tripSaga])],
  providers: [TripSagas],
})
export class TravelModule {}
