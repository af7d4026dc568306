/**
 * The charge came before the card token it needs (the services run apart, and the token's message is late). A
 * wait, not a decline: `transient` makes the saga send the step again without spending an attempt.
 */
export class PaymentMethodOnItsWayError extends Error {
  readonly transient = true;

  constructor(paymentMethodId: string) {
    super(`the card token ${paymentMethodId} has not reached the payment service yet`);
    this.name = 'PaymentMethodOnItsWayError';
  }
}
