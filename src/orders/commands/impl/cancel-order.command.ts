import type { ICommand } from '@nestjs/cqrs';

export class CancelOrderCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    public readonly reason: string,
    /** The order's card token in the payment vault, forgotten with the order (absent in sagas started before the vault). */
    public readonly paymentMethodId?: string,
  ) {}
}
