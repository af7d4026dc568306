import { Logger } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { OrderConfirmedEvent } from '../../events/order-confirmed.event';
import { ConfirmOrderCommand } from '../impl/confirm-order.command';
import { prepared } from '../../../database/prepared-statement';

/** PENDING -> CONFIRMED. Idempotent: a confirmed order is confirmed again (same event); a cancelled one stays so. */
@CommandHandler(ConfirmOrderCommand)
export class ConfirmOrderHandler implements ICommandHandler<ConfirmOrderCommand> {
  private readonly logger = new Logger(ConfirmOrderHandler.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ sagaId, orderId }: ConfirmOrderCommand): Promise<void> {
    const rows = await this.dataSource.query<{ status: string }[]>(
      prepared(`WITH w AS (
         UPDATE orders SET status = 'CONFIRMED', updated_at = now() WHERE id = $1 AND status = 'PENDING' RETURNING status
       )
       SELECT status FROM w UNION ALL SELECT status FROM orders WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM w)`),
      [orderId],
    );
    if (rows[0]?.status === 'CONFIRMED') {
      this.eventBus.publish(new OrderConfirmedEvent(sagaId, orderId));
    } else {
      this.logger.warn(`order ${orderId} cannot be confirmed: it is ${rows[0]?.status ?? 'missing'}`);
    }
  }
}
