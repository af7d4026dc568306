import { Module } from '@nestjs/common';
import { BookFlightHandler } from './book-flight.handler';
import { CancelFlightHandler } from './cancel-flight.handler';

/** Flight bookings, one per trip (`travel_flight_bookings`). Uses the host's global `CqrsModule.forRoot()` buses. */
@Module({ providers: [BookFlightHandler, CancelFlightHandler] })
export class FlightsModule {}
