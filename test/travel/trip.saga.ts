import { defineSaga, send } from 'sagaworks';
import { CarRentalFailedEvent } from './cars/car-rental-failed.event';
import { CarRentedEvent } from './cars/car-rented.event';
import { CarReturnedEvent } from './cars/car-returned.event';
import { RentCarCommand } from './cars/rent-car.command';
import { ReturnCarCommand } from './cars/return-car.command';
import { BookFlightCommand } from './flights/book-flight.command';
import { CancelFlightCommand } from './flights/cancel-flight.command';
import { FlightBookedEvent } from './flights/flight-booked.event';
import { FlightBookingFailedEvent } from './flights/flight-booking-failed.event';
import { FlightCancelledEvent } from './flights/flight-cancelled.event';
import { CancelHotelCommand } from './hotels/cancel-hotel.command';
import { HotelCancelledEvent } from './hotels/hotel-cancelled.event';
import { HotelReservationFailedEvent } from './hotels/hotel-reservation-failed.event';
import { HotelReservedEvent } from './hotels/hotel-reserved.event';
import { ReserveHotelCommand } from './hotels/reserve-hotel.command';
import type { TripData } from './trip-data';

export const TRIP_SAGA = 'trip';

const why = (reason: string | undefined) => reason ?? 'trip cancelled';

/**
 * Booking a trip: the flight, the hotel and the car at once, a parallel stage whose branches each have their
 * own commands, replies, deadline and retries. When one fails, those booked are undone in reverse order of
 * completion, and one still running is undone when its reply comes (or at its deadline: a booking that timed
 * out may still have happened, so every branch has a compensation).
 */
export const tripSaga = defineSaga<TripData>({
  type: TRIP_SAGA,
  steps: [
    {
      name: 'book',
      parallel: [
        {
          name: 'bookFlight',
          command: send(BookFlightCommand, (c) => [c.sagaId, c.data.tripId, c.data.flightNo]),
          completedBy: [FlightBookedEvent],
          failedBy: [FlightBookingFailedEvent],
          onCompleted: (data, e) => ({ ...data, flightRef: (e as FlightBookedEvent).bookingRef }),
          compensation: send(CancelFlightCommand, (c) => [c.sagaId, c.data.tripId, why(c.failureReason)]),
          compensatedBy: [FlightCancelledEvent],
        },
        {
          name: 'reserveHotel',
          command: send(ReserveHotelCommand, (c) => [c.sagaId, c.data.tripId, c.data.destination, c.data.nights]),
          completedBy: [HotelReservedEvent],
          failedBy: [HotelReservationFailedEvent],
          compensation: send(CancelHotelCommand, (c) => [c.sagaId, c.data.tripId, why(c.failureReason)]),
          compensatedBy: [HotelCancelledEvent],
        },
        {
          name: 'rentCar',
          command: send(RentCarCommand, (c) => [c.sagaId, c.data.tripId, c.data.carClass]),
          completedBy: [CarRentedEvent],
          failedBy: [CarRentalFailedEvent],
          compensation: send(ReturnCarCommand, (c) => [c.sagaId, c.data.tripId, why(c.failureReason)]),
          compensatedBy: [CarReturnedEvent],
        },
      ],
    },
  ],
});

/** The branches of the trip's one stage, by name. */
export const tripBranches = (tripSaga.steps[0].parallel ?? []).map((b) => b.name);
