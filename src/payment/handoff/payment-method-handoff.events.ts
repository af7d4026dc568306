import type { IEvent } from '@nestjs/cqrs';

/*
 * How the orders service hands a card token to the payment service when they run apart (in one process the
 * token is stored in the vault by the statement that places the order). The payment module owns this contract:
 * it is the only one that ever keeps the token.
 */

/** An order was placed with this card token: keep it under this id until the charge needs it. */
export class PaymentMethodProvidedEvent implements IEvent {
  constructor(
    public readonly paymentMethodId: string,
    public readonly token: string,
  ) {}
}

/** The order will never be charged (it was cancelled first): drop the token, and never keep it if it comes later. */
export class PaymentMethodWithdrawnEvent implements IEvent {
  constructor(public readonly paymentMethodId: string) {}
}
