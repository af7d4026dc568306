import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { OrderCancelledEvent } from '../../events/order-cancelled.event';
import { CancelOrderCommand } from '../impl/cancel-order.command';
import { prepared } from '../../../database/prepared-statement';

/**
 * -> CANCELLED with the saga's reason; the last compensation of the order saga. Idempotent: the first reason
 * stays, and every call answers with the event.
 */
@CommandHandler(CancelOrderCommand)
export class CancelOrderHandler implements ICommandHandler<CancelOrderCommand> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ sagaId, orderId, reason }: CancelOrderCommand): Promise<void> {
    await this.dataSource.query(
      prepared(`WITH w AS (
         UPDATE orders SET status = 'CANCELLED', failure_reason = $2, updated_at = now()
         WHERE id = $1 AND status <> 'CANCELLED' RETURNING 1
       ) SELECT count(*)::int AS n FROM w`),
      [orderId, reason],
    );
    this.eventBus.publish(new OrderCancelledEvent(sagaId, orderId, reason));
  }
}
