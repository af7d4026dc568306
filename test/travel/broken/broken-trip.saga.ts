import { defineSaga, send } from 'sagaworks';
import type { TripData } from '../trip-data';
import { tripSaga } from '../trip.saga';
import { ReleaseHotelHoldCommand } from './release-hotel-hold.command';

/** The trip saga with the hotel's compensation wired to a command that is never confirmed. */
export const brokenTripSaga = defineSaga<TripData>({
  type: 'broken-trip',
  steps: tripSaga.steps.map((stage) => ({
    ...stage,
    parallel: stage.parallel?.map((branch) =>
      branch.name === 'reserveHotel'
        ? { ...branch, compensation: send(ReleaseHotelHoldCommand, (c) => [c.sagaId, c.data.tripId, c.failureReason ?? 'trip cancelled']) }
        : branch,
    ),
  })),
});
