import type { ICommand } from '@nestjs/cqrs';

/**
 * Undo an order's charge (compensation). Idempotent, and safe before or instead of the charge: it then leaves a
 * tombstone so a late `ProcessPaymentCommand` charges nothing. Always answered by `PaymentRefundedEvent`.
 */
export class RefundPaymentCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    /** The vault's card token for the order, deleted with the refund (no charge can follow a refund's row). */
    public readonly paymentMethodId?: string,
  ) {}
}
