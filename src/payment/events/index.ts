/** The events of the payment module: what the other modules may react to (imported without the module itself). */
export { PaymentChargedEvent } from './payment-charged.event';
export { PaymentDeclinedEvent } from './payment-declined.event';
export { PaymentRefundedEvent } from './payment-refunded.event';
export { ReturnRefundRefusedEvent } from './return-refund-refused.event';
export { ReturnRefundedEvent } from './return-refunded.event';
