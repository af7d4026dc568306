import type { ICommand } from '@nestjs/cqrs';

/**
 * Charge an order's total. Idempotent per `orderId`: an order is charged at most once, and a repeat publishes
 * the first outcome again. Answered by `PaymentChargedEvent` or `PaymentDeclinedEvent`, or by nothing at all
 * when the provider does not answer (test token `tok_timeout`): the caller's deadline handles that.
 */
export class ProcessPaymentCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly orderId: string,
    /** Integer cents, >= 0. */
    public readonly amountCents: number,
    /**
     * The card token's id in the payment module's vault (`PaymentMethodVault.store`), never the token itself, so
     * the saga's data and history do not hold it. Test tokens: `tok_visa` charges, `tok_declined` is declined,
     * `tok_timeout` never answers.
     */
    public readonly paymentMethodId: string,
  ) {}
}
