import { Module } from '@nestjs/common';
import { BookFlightHandler } from './book-flight.handler';
import { CancelFlightHandler } from './cancel-flight.handler';

/**
 * Flight bookings, one per trip (`travel_flight_bookings`). CqrsModule is not imported here: the host's
 * `CqrsModule.forRoot()` is global, and a local import would give this module an EventBus the sagas never see.
 */
@Module({ providers: [BookFlightHandler, CancelFlightHandler] })
export class FlightsModule {}
