import type { ICommand } from '@nestjs/cqrs';

/**
 * Return a trip's car (compensation). Idempotent, and safe before the rental: it then leaves a tombstone.
 * Always answered by `CarReturnedEvent`.
 */
export class ReturnCarCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly tripId: string,
    public readonly reason: string,
  ) {}
}
