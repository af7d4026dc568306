import { GetPaymentsHandler } from './get-payments.handler';

export const QueryHandlers = [GetPaymentsHandler];
