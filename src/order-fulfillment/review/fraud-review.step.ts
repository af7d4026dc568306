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

/** The longest reason kept; `POST /orders/:id/review` refuses longer ones. */
export const MAX_REVIEW_REASON = 500;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g;

/** Text fit for a stored failure reason: no control characters (PostgreSQL refuses NUL), trimmed, capped. */
function cleanText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.replace(CONTROL_CHARACTERS, ' ').trim().slice(0, max) || undefined;
}

/**
 * Approve: the saga goes on to the charge, with the reviewer's reason kept in its data. Anything else fails the
 * step, so the order is cancelled and nothing charged. The payload is checked again here because
 * `POST /orders/:id/review` is not its only sender: the inspector's generic `POST /sagas/:id/signals/:name` sends
 * any JSON object (`{ decision, reason, by }` from its buttons), and a wait's decision cannot refuse a signal, only
 * complete or fail the step; an order is never charged on a payload that does not say `approve`.
 */
export function decideFraudReview(payload: unknown, data: Readonly<OrderFulfillmentData>): SignalDecision<OrderFulfillmentData> {
  const review = (typeof payload === 'object' && payload !== null ? payload : {}) as { decision?: unknown; reason?: unknown; by?: unknown };
  const reason = cleanText(review.reason, MAX_REVIEW_REASON) ?? 'no reason given';
  const by = cleanText(review.by, 100);
  if (review.decision === 'approve')
    return { outcome: 'complete', data: { ...data, fraudReviewApproval: by ? `${by}: ${reason}` : reason } };
  const why = review.decision === 'reject' ? reason : 'the review sent no decision "approve" or "reject"';
  return { outcome: 'fail', reason: `rejected in fraud review${by ? ` by ${by}` : ''}: ${why}` };
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
