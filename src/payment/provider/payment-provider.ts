export interface ChargeRequest {
  /** The provider charges at most once per key, however often it is asked; we use the order id. */
  idempotencyKey: string;
  amountCents: number;
  paymentToken: string;
}

export type ChargeOutcome =
  | { status: 'approved' }
  | { status: 'declined'; reason: string }
  /** The call timed out: the charge may or may not have happened. */
  | { status: 'no-response' };

/** The card processor, behind a DI token so a real one can replace the fake. */
export abstract class PaymentProvider {
  abstract charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** Undoes whatever was charged under the key; a no-op when nothing was. */
  abstract refund(idempotencyKey: string): Promise<void>;
}
