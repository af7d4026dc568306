import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SagaOutbox } from 'sagaworks';
import { OrderConfirmedEvent } from '../../events/order-confirmed.event';
import { ConfirmOrderCommand } from '../impl/confirm-order.command';
import { prepared } from '../../../database/prepared-statement';

/** PENDING -> CONFIRMED. Idempotent: a confirmed order is confirmed again (same event); a cancelled one stays so. */
@CommandHandler(ConfirmOrderCommand)
export class ConfirmOrderHandler implements ICommandHandler<ConfirmOrderCommand> {
  private readonly logger = new Logger(ConfirmOrderHandler.name);

  constructor(private readonly outbox: SagaOutbox) {}

  execute({ sagaId, orderId }: ConfirmOrderCommand): Promise<void> {
    return this.outbox.publish(async (sql) => {
      const rows = await sql.query<{ status: string }[]>(
        prepared(`WITH w AS (
         UPDATE orders SET status = 'CONFIRMED', updated_at = now() WHERE id = $1 AND status = 'PENDING' RETURNING status
       )
       SELECT status FROM w UNION ALL SELECT status FROM orders WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM w)`),
        [orderId],
      );
      if (rows[0]?.status === 'CONFIRMED') return new OrderConfirmedEvent(sagaId, orderId);
      this.logger.warn(`order ${orderId} cannot be confirmed: it is ${rows[0]?.status ?? 'missing'}`);
      return null;
    });
  }
}
