import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CANCEL_HOTEL_SQL } from '../hotels/cancel-hotel.handler';
import { ReleaseHotelHoldCommand } from './release-hotel-hold.command';

/**
 * Deliberately broken: it cancels the reservation but never publishes `HotelCancelledEvent`, so the saga cannot
 * tell the compensation happened. It exists so that the boot-time contract check passes and the defect shows
 * only at run time, where the testing kit must find it.
 */
@CommandHandler(ReleaseHotelHoldCommand)
export class ReleaseHotelHoldHandler implements ICommandHandler<ReleaseHotelHoldCommand, void> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute(c: ReleaseHotelHoldCommand): Promise<void> {
    await this.dataSource.query(CANCEL_HOTEL_SQL, [c.tripId, c.sagaId, c.reason]);
  }
}
