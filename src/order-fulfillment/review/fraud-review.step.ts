import type { OrderFulfillmentData } from '../../orders';
import type { SagaStepDefinition, SignalDecision } from 'sagaworks';

/** The step's name, and the signal `POST /orders/:id/review` sends it. */
export const FRAUD_REVIEW = 'fraudReview';

export const REVIEW_DECISIONS = ['approve', 'reject'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** The signal's payload: an admin's decision and why. */
export interface FraudReviewSignal {
  decision: ReviewDecision;
  reason: string;
}

export interface FraudReviewSettings {
  /** Orders whose total is at least this wait for a review; smaller ones skip the step. */
  thresholdCents: number;
  /** How long an order waits for its review before it is cancelled. */
  timeoutMs: number;
}

export function needsFraudReview(totalCents: number, settings: FraudReviewSettings): boolean {
  return totalCents >= settings.thresholdCents;
}

/** Approve: the saga goes on to the charge, with the reviewer's reason kept in its data. Reject: it compensates. */
export function decideFraudReview(payload: unknown, data: Readonly<OrderFulfillmentData>): SignalDecision<OrderFulfillmentData> {
  const review = payload as FraudReviewSignal;
  return review.decision === 'approve'
    ? { outcome: 'complete', data: { ...data, fraudReviewApproval: review.reason } }
    : { outcome: 'fail', reason: `rejected in fraud review: ${review.reason}` };
}

/**
 * A large order waits here, stock reserved and card not yet charged, for an admin's decision. The deadline is
 * stored when the wait begins, so a restart neither extends nor shortens it; at the deadline the order is
 * cancelled (the stock released) with a reason that names the review timeout.
 */
export function fraudReviewStep(settings: FraudReviewSettings): SagaStepDefinition<OrderFulfillmentData> {
  return {
    name: FRAUD_REVIEW,
    when: (c) => needsFraudReview(c.data.totalCents, settings),
    wait: { signal: FRAUD_REVIEW, timeoutMs: settings.timeoutMs, onTimeout: 'compensate', decide: decideFraudReview },
  };
}
