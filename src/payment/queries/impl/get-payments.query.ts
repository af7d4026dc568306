import { Query } from '@nestjs/cqrs';
import type { PaymentView } from '../payment.view';

/** An order's payment (at most one), or without `orderId` the latest 100 payments, newest first. */
export class GetPaymentsQuery extends Query<PaymentView[]> {
  constructor(public readonly orderId?: string) {
    super();
  }
}
