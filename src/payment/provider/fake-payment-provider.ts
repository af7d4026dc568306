import { Injectable } from '@nestjs/common';
import { type ChargeOutcome, type ChargeRequest, PaymentProvider } from './payment-provider';

/** Test tokens, like a real processor's test cards, so every saga path can be driven by hand. */
export const TEST_TOKENS = {
  declined: 'tok_declined',
  timeout: 'tok_timeout',
} as const;

/**
 * A deterministic stand-in for a card processor: `tok_declined` is declined, `tok_timeout` never answers, and
 * any other token is charged.
 */
@Injectable()
export class FakePaymentProvider extends PaymentProvider {
  charge({ paymentToken }: ChargeRequest): Promise<ChargeOutcome> {
    switch (paymentToken) {
      case TEST_TOKENS.declined:
        return Promise.resolve({ status: 'declined', reason: 'card declined' });
      case TEST_TOKENS.timeout:
        // Answered at once rather than left hanging, so retries do not pile up pending promises.
        return Promise.resolve({ status: 'no-response' });
      default:
        return Promise.resolve({ status: 'approved' });
    }
  }

  async refund(): Promise<void> {}
}
