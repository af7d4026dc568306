import { defineSaga } from 'sagaworks';
import type { TripData } from '../trip-data';
import { tripSaga } from '../trip.saga';

/** The trip saga unchanged, under its own type: what is broken is the car handler its app wires. */
export const carelessTripSaga = defineSaga<TripData>({ type: 'careless-trip', steps: tripSaga.steps });
