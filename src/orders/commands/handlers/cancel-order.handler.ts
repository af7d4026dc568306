import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SagaOutbox } from 'sagaworks';
import { OrderCancelledEvent } from '../../events/order-cancelled.event';
import { CancelOrderCommand } from '../impl/cancel-order.command';
import { prepared } from '../../../database/prepared-statement';
import { PaymentMethodHandoff } from '../../placement/payment-method-handoff';

/**
 * -> CANCELLED with the saga's reason; the last compensation of the order saga. Idempotent: the first reason
 * stays, and every call answers with the event.
 */
@CommandHandler(CancelOrderCommand)
export class CancelOrderHandler implements ICommandHandler<CancelOrderCommand> {
  constructor(
    private readonly outbox: SagaOutbox,
    private readonly handoff: PaymentMethodHandoff,
  ) {}

  async execute({ sagaId, orderId, reason, paymentMethodId }: CancelOrderCommand): Promise<void> {
    // A cancelled order never charges: its card token, if the payment step did not already drop it, is dead weight.
    const withdrawn = paymentMethodId ? await this.handoff.withdraw(paymentMethodId) : [];
    await this.outbox.publish(async (sql) => {
      await sql.query(
        prepared(`WITH w AS (
         UPDATE orders SET status = 'CANCELLED', failure_reason = $2, updated_at = now()
         WHERE id = $1 AND status <> 'CANCELLED' RETURNING 1
       ) SELECT count(*)::int AS n FROM w`),
        [orderId, reason],
      );
      return [new OrderCancelledEvent(sagaId, orderId, reason), ...withdrawn];
    });
  }
}
