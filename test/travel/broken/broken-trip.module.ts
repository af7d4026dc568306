import { Module } from '@nestjs/common';
import { SagaModule } from 'sagaworks';
import { CarsModule } from '../cars/cars.module';
import { FlightsModule } from '../flights/flights.module';
import { ReserveHotelHandler } from '../hotels/reserve-hotel.handler';
import { BrokenTripSagas } from './broken-trip.sagas';
import { brokenTripSaga } from './broken-trip.saga';
import { ReleaseHotelHoldHandler } from './release-hotel-hold.handler';

/** Travel with a hotel compensation that never confirms. Its own app: it shares reply events with `tripSaga`. */
@Module({
  imports: [FlightsModule, CarsModule, SagaModule.forFeature([brokenTripSaga])],
  providers: [ReserveHotelHandler, ReleaseHotelHoldHandler, BrokenTripSagas],
})
export class BrokenTripModule {}
