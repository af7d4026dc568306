import type { ICommand } from '@nestjs/cqrs';

export class CancelOrderCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly reason: string,
  ) {}
}
