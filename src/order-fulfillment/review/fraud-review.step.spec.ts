import { describe, expect, it } from '@jest/globals';
import type { OrderFulfillmentData } from '../../orders';
import { decideFraudReview, fraudReviewStep, needsFraudReview } from './fraud-review.step';

const data = { orderId: 'o-1', totalCents: 60_000 } as OrderFulfillmentData;

describe('the fraud review decision', () => {
  it('approve goes on and keeps the reason (and who, when the payload says)', () => {
    expect(decideFraudReview({ decision: 'approve', reason: 'called the customer' }, data)).toEqual({
      outcome: 'complete',
      data: { ...data, fraudReviewApproval: 'called the customer' },
    });
    expect(decideFraudReview({ decision: 'approve', reason: 'ok', by: 'alice' }, data)).toMatchObject({
      data: { fraudReviewApproval: 'alice: ok' },
    });
  });

  it('reject fails the step with the reason', () => {
    expect(decideFraudReview({ decision: 'reject', reason: 'card reported stolen' }, data)).toEqual({
      outcome: 'fail',
      reason: 'rejected in fraud review: card reported stolen',
    });
    expect(decideFraudReview({ decision: 'reject', reason: '', by: 'bob' }, data)).toEqual({
      outcome: 'fail',
      reason: 'rejected in fraud review by bob: no reason given',
    });
  });

  it('a payload from another sender that does not say approve never charges, and stores no control character or a novel', () => {
    for (const payload of [undefined, null, 'approve', {}, { decision: 'APPROVE' }, { decision: true }])
      expect(decideFraudReview(payload, data)).toEqual({
        outcome: 'fail',
        reason: 'rejected in fraud review: the review sent no decision "approve" or "reject"',
      });
    const odd = decideFraudReview({ decision: 'reject', reason: `a\u0000b\nc${'x'.repeat(1000)}` }, data);
    expect(odd.outcome === 'fail' && odd.reason).toBe(`rejected in fraud review: a b c${'x'.repeat(495)}`);
  });
});

describe('the fraud review step', () => {
  const settings = { thresholdCents: 50_000, timeoutMs: 1_000 };

  it('runs for orders at or above the threshold only', () => {
    expect(needsFraudReview(50_000, settings)).toBe(true);
    expect(needsFraudReview(49_999, settings)).toBe(false);
    const step = fraudReviewStep(settings);
    const ctx = (totalCents: number) => ({ sagaId: 's', correlationId: 'o', attempt: 1, data: { ...data, totalCents } });
    expect(step.when?.(ctx(50_000))).toBe(true);
    expect(step.when?.(ctx(1_299))).toBe(false);
    expect(step.wait).toMatchObject({ signal: 'fraudReview', timeoutMs: 1_000, onTimeout: 'compensate' });
  });
});
