import type { ICommand } from '@nestjs/cqrs';

/** Like `CancelHotelCommand`, but its handler forgets to confirm (see `ReleaseHotelHoldHandler`). */
export class ReleaseHotelHoldCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly reason: string,
  ) {}
}
