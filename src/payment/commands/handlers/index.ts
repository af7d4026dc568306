import { ProcessPaymentHandler } from './process-payment.handler';
import { RefundPaymentHandler } from './refund-payment.handler';

export const CommandHandlers = [ProcessPaymentHandler, RefundPaymentHandler];
