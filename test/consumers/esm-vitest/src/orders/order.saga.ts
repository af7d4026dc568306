import { Injectable } from '@nestjs/common';
import { type ICommand, type IEvent, Saga } from '@nestjs/cqrs';
import type { Observable } from 'rxjs';
import { defineSaga, SagaOrchestrator, send } from 'sagaworks';
import {
  ChargePaymentCommand,
  CustomerNotifiedEvent,
  NotifyCustomerCommand,
  PaymentChargedEvent,
  PaymentDeclinedEvent,
  PaymentRefundedEvent,
  RefundPaymentCommand,
  ReleaseStockCommand,
  ReserveStockCommand,
  StockReleasedEvent,
  StockReservedEvent,
} from './order.messages.js';

export interface OrderData {
  sku: string;
  amountCents: number;
}

/** Reserve stock (released on failure), charge (refunded on failure; may be declined), notify (final). */
export const orderSaga = defineSaga<OrderData>({
  type: 'order',
  steps: [
    {
      name: 'reserve',
      command: send(ReserveStockCommand, (c) => [c.sagaId, c.data.sku]),
      completedBy: [StockReservedEvent],
      compensation: send(ReleaseStockCommand, (c) => [c.sagaId]),
      compensatedBy: [StockReleasedEvent],
    },
    {
      name: 'charge',
      command: send(ChargePaymentCommand, (c) => [c.sagaId, c.data.amountCents]),
      completedBy: [PaymentChargedEvent],
      failedBy: [PaymentDeclinedEvent],
      compensation: send(RefundPaymentCommand, (c) => [c.sagaId]),
      compensatedBy: [PaymentRefundedEvent],
    },
    {
      name: 'notify',
      command: send(NotifyCustomerCommand, (c) => [c.sagaId]),
      completedBy: [CustomerNotifiedEvent],
      nonCompensable: true,
    },
  ],
});

/** One @Saga() stream turns every reply into the next command, or into compensation. */
@Injectable()
export class OrderSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}

  @Saga()
  replies = (events$: Observable<IEvent>): Observable<ICommand> =>
    events$.pipe(this.sagas.replies(orderSaga));
}
