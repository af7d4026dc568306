export interface ChargeRequest {
  /** The provider charges at most once per key, however often it is asked; we use the order id. */
  idempotencyKey: string;
  amountCents: number;
  paymentToken: string;
}

export type ChargeOutcome =
  /** `reference`: the provider's id of the charge, which a later refund names. */
  | { status: 'approved'; reference?: string }
  | { status: 'declined'; reason: string }
  /** The call timed out: the charge may or may not have happened. */
  | { status: 'no-response' };

export interface RefundRequest {
  /** The provider refunds at most once per key. */
  idempotencyKey: string;
  /** The charge's reference, as the provider gave it (null for a charge recorded before references were kept). */
  reference: string | null;
  amountCents: number;
}

export type RefundOutcome = { status: 'refunded' } | { status: 'refused'; reason: string } | { status: 'no-response' };

/** The card processor, behind a DI token so a real one can replace the fake. */
export abstract class PaymentProvider {
  abstract charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** Undoes whatever was charged under the key; a no-op when nothing was. */
  abstract refund(idempotencyKey: string): Promise<void>;
  /** Refunds a settled charge (a return): unlike `refund`, the provider may refuse, or not answer. */
  abstract refundCharge(request: RefundRequest): Promise<RefundOutcome>;
}
