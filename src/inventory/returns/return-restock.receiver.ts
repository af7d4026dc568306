import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { FlowStalledEvent, onFlowStalled, SagaEventReceivers, SagaOutbox } from 'sagaworks';
import { ORDER_RETURN_FLOW } from '../../orders';
import { ReturnRefundedEvent } from '../../payment';
import { prepared } from '../../database/prepared-statement';
import { ReturnRestockedEvent } from '../events/return-restocked.event';

/*
 * One statement, atomic without a transaction, as the release of a reservation is: the RESERVED row becomes
 * RESTOCKED once and yields its items, and the products are locked in SKU order and given them back. A row that
 * is already RESTOCKED yields nothing, so a second restock moves no stock.
 */
const RESTOCK_SQL = prepared(`
WITH restocked_row AS (
  UPDATE inventory_reservations SET status = 'RESTOCKED', updated_at = now()
  WHERE order_id = $1::uuid AND status = 'RESERVED'
  RETURNING items
),
give_back AS (
  SELECT x.sku, sum(x.quantity)::int AS quantity
  FROM restocked_row, jsonb_to_recordset(restocked_row.items) AS x(sku text, quantity int)
  GROUP BY x.sku
),
locked AS MATERIALIZED (
  SELECT p.sku, p.available, p.reserved FROM inventory_products p
  WHERE p.sku IN (SELECT sku FROM give_back)
  ORDER BY p.sku
  FOR UPDATE
),
moved AS (
  UPDATE inventory_products p
  SET available = l.available + g.quantity, reserved = l.reserved - g.quantity
  FROM give_back g JOIN locked l ON l.sku = g.sku
  WHERE p.sku = l.sku
  RETURNING p.sku
)
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
