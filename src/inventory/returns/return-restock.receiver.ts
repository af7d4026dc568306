import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { FlowStalledEvent, onFlowStalled, SagaEventReceivers, SagaOutbox } from 'sagaworks';
import { ORDER_RETURN_FLOW } from '../../orders/events';
import { ReturnRefundedEvent } from '../../payment/events';
import { prepared } from '../../database/prepared-statement';
import { giveBackSql } from '../commands/give-back.sql';
import { ReturnRestockedEvent } from '../events/return-restocked.event';

/*
 * One statement, atomic without a transaction, as the release of a reservation is: the RESERVED row becomes
 * RESTOCKED once and yields its items, which go back to stock (`giveBackSql`). A row that is already RESTOCKED
 * yields nothing, so a second restock moves no stock.
 */
const RESTOCK_SQL = prepared(`
WITH restocked_row AS (
  UPDATE inventory_reservations SET status = 'RESTOCKED', updated_at = now()
  WHERE order_id = $1::uuid AND status = 'RESERVED'
  RETURNING items
),
${giveBackSql('restocked_row')}
SELECT coalesce((SELECT 'RESTOCKED' FROM restocked_row), (SELECT status FROM inventory_reservations WHERE order_id = $1::uuid)) AS status,
  (SELECT count(*)::int FROM moved) AS moved`);

/** Inventory's part in the order-return flow: once the refund is made, the returned units are available again. */
@Injectable()
export class ReturnRestockReceiver implements OnModuleInit, OnModuleDestroy {
  private undo: (() => void)[] = [];

  constructor(
    private readonly receivers: SagaEventReceivers,
    private readonly outbox: SagaOutbox,
  ) {}

  onModuleInit(): void {
    this.undo = [
      this.receivers.on(ReturnRefundedEvent, ({ orderId }) => this.restock(orderId)),
      this.receivers.on(FlowStalledEvent, onFlowStalled(ORDER_RETURN_FLOW, 'inventory', { completed: (orderId) => this.restock(orderId) })),
    ];
  }

  onModuleDestroy(): void {
    for (const undo of this.undo.splice(0)) undo();
  }

  private restock(orderId: string): Promise<void> {
    return this.outbox.publish(async (sql) => {
      const [row] = await sql.query<{ status: string | null }[]>(RESTOCK_SQL, [orderId]);
      return row?.status === 'RESTOCKED' ? new ReturnRestockedEvent(orderId) : null;
    });
  }
}
