import { Injectable } from '@nestjs/common';
import { type ChargeOutcome, type ChargeRequest, PaymentProvider, type RefundOutcome, type RefundRequest } from './payment-provider';

/** Test tokens, like a real processor's test cards, so every saga path can be driven by hand. */
export const TEST_TOKENS = {
  declined: 'tok_declined',
  timeout: 'tok_timeout',
  /** Charged; a return's refund is refused. */
  refundRefused: 'tok_refund_refused',
  /** Charged; a return's refund is never answered. */
  refundSilent: 'tok_refund_silent',
} as const;

/** The charge reference carries how its refunds go, as a real processor's charge record would. */
const REFUND_MODE: Record<string, string> = { [TEST_TOKENS.refundRefused]: 'refund_refused', [TEST_TOKENS.refundSilent]: 'refund_silent' };

/**
 * A deterministic stand-in for a card processor: `tok_declined` is declined, `tok_timeout` never answers, and
 * any other token is charged. A return's refund is refused for `tok_refund_refused`, never answered for
 * `tok_refund_silent`, and made for any other.
 */
@Injectable()
export class FakePaymentProvider extends PaymentProvider {
  charge({ paymentToken, idempotencyKey }: ChargeRequest): Promise<ChargeOutcome> {
    switch (paymentToken) {
      case TEST_TOKENS.declined:
        return Promise.resolve({ status: 'declined', reason: 'card declined' });
      case TEST_TOKENS.timeout:
        // Answered at once rather than left hanging, so retries do not pile up pending promises.
        return Promise.resolve({ status: 'no-response' });
      default:
        return Promise.resolve({ status: 'approved', reference: `ch_${REFUND_MODE[paymentToken] ?? 'ok'}_${idempotencyKey}` });
    }
  }

  async refund(): Promise<void> {}

  refundCharge({ reference }: RefundRequest): Promise<RefundOutcome> {
    if (reference?.startsWith('ch_refund_refused_'))
      return Promise.resolve({ status: 'refused', reason: 'the provider refused the refund' });
    if (reference?.startsWith('ch_refund_silent_')) return Promise.resolve({ status: 'no-response' });
    return Promise.resolve({ status: 'refunded' });
  }
}
