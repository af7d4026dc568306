/**
 * Public contract of the payment module. Other modules import from here only.
 */
export { PaymentModule } from './payment.module';
export { ProcessPaymentCommand } from './commands/impl/process-payment.command';
export { RefundPaymentCommand } from './commands/impl/refund-payment.command';
export * from './events';
export { GetPaymentsQuery } from './queries/impl/get-payments.query';
export { PaymentView } from './queries/payment.view';
export { PaymentMethodVault } from './vault/payment-method-vault';
export { PaymentMethodProvidedEvent, PaymentMethodWithdrawnEvent } from './handoff/payment-method-handoff.events';
