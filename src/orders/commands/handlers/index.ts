import { CancelOrderHandler } from './cancel-order.handler';
import { ConfirmOrderHandler } from './confirm-order.handler';
import { PlaceOrderHandler } from './place-order.handler';
import { RequestReturnHandler } from './request-return.handler';

export const CommandHandlers = [PlaceOrderHandler, ConfirmOrderHandler, CancelOrderHandler, RequestReturnHandler];
