import type { ICommand } from '@nestjs/cqrs';

export class ConfirmOrderCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
  ) {}
}
