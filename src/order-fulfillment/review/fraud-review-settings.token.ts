/** Injection token of the `FraudReviewSettings` the order saga was built with. */
export const FRAUD_REVIEW_SETTINGS = Symbol('FRAUD_REVIEW_SETTINGS');
