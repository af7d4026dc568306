import { Module } from '@nestjs/common';
import { CancelHotelHandler } from './cancel-hotel.handler';
import { ReserveHotelHandler } from './reserve-hotel.handler';

/** Hotel reservations, one per trip (`travel_hotel_reservations`). Uses the host's global `CqrsModule.forRoot()` buses. */
@Module({ providers: [ReserveHotelHandler, CancelHotelHandler] })
export class HotelsModule {}
