import { Module } from '@nestjs/common';
import { SagaModule } from 'sagaworks';
import { ReturnCarHandler } from '../cars/return-car.handler';
import { FlightsModule } from '../flights/flights.module';
import { HotelsModule } from '../hotels/hotels.module';
import { CarelessRentCarHandler } from './careless-rent-car.handler';
import { CarelessTripSagas } from './careless-trip.sagas';
import { carelessTripSaga } from './careless-trip.saga';

/** Travel with a car rental handler that is not idempotent. Its own app: it shares reply events with `tripSaga`. */
@Module({
  imports: [FlightsModule, HotelsModule, SagaModule.forFeature([carelessTripSaga])],
  providers: [CarelessRentCarHandler, ReturnCarHandler, CarelessTripSagas],
})
export class CarelessTripModule {}
