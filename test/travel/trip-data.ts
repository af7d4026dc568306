import { randomUUID } from 'node:crypto';

/** What a trip saga carries: the request, and what the steps learned on the way (the flight's booking ref). */
export interface TripData {
  tripId: string;
  traveller: string;
  /** `SLOW`: the airline never answers; `FULL`: sold out. */
  flightNo: string;
  /** `ATLANTIS`: no hotel there. */
  destination: string;
  nights: number;
  /** `TANK`: never available. */
  carClass: string;
  flightRef?: string;
}

/** A trip every service can book, with a fresh id; `overrides` pick the failures. */
export const trip = (overrides: Partial<TripData> = {}): TripData => ({
  tripId: randomUUID(),
  traveller: 'Ada Lovelace',
  flightNo: 'BA117',
  destination: 'LISBON',
  nights: 3,
  carClass: 'COMPACT',
  ...overrides,
});
