import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { FlowStalledEvent, onFlowStalled, SagaEventReceivers, SagaOutbox } from 'sagaworks';
import { ReturnRestockedEvent } from '../../inventory/events';
import { ShipmentReturnReversedEvent } from '../../shipping/events';
import { prepared } from '../../database/prepared-statement';
import { OrderReturnedEvent } from '../events/order-returned.event';
import { ReturnClosedEvent } from '../events/return-closed.event';
import { ORDER_RETURN_FLOW } from '../order-return.contract';

/** CONFIRMED -> RETURNED with its request, once; answers with the return's status now. */
const MARK_RETURNED_SQL = prepared(`WITH r AS (
    UPDATE order_returns SET status = 'RETURNED', updated_at = now() WHERE order_id = $1 AND status = 'REQUESTED' RETURNING order_id
  ), o AS (
    UPDATE orders SET status = 'RETURNED', updated_at = now() WHERE id = (SELECT order_id FROM r) AND status = 'CONFIRMED' RETURNING id
  )
  SELECT coalesce((SELECT 'RETURNED' FROM r), (SELECT status FROM order_returns WHERE order_id = $1)) AS status`);
/** A request that cannot complete is closed; the order stays CONFIRMED. */
const CLOSE_SQL = prepared(`WITH r AS (
    UPDATE order_returns SET status = 'REFUSED', updated_at = now() WHERE order_id = $1 AND status = 'REQUESTED' RETURNING order_id
  )
  SELECT coalesce((SELECT 'REFUSED' FROM r), (SELECT status FROM order_returns WHERE order_id = $1)) AS status`);

/**
 * Orders' part in the order-return flow: the restocked order becomes RETURNED; a return shipping sent back is
 * closed as REFUSED. Each is idempotent and announces its outcome again when asked again (a redelivery, or a
 * stall of the flow waiting for orders).
 */
@Injectable()
export class OrderReturnReceiver implements OnModuleInit, OnModuleDestroy {
  private undo: (() => void)[] = [];

  constructor(
    private readonly receivers: SagaEventReceivers,
    private readonly outbox: SagaOutbox,
  ) {}

  onModuleInit(): void {
    this.undo = [
      this.receivers.on(ReturnRestockedEvent, ({ orderId }) => this.markReturned(orderId)),
      this.receivers.on(ShipmentReturnReversedEvent, ({ orderId }) => this.close(orderId)),
      this.receivers.on(
        FlowStalledEvent,
        onFlowStalled(ORDER_RETURN_FLOW, 'orders', {
          completed: (orderId) => this.markReturned(orderId),
          compensated: (orderId) => this.close(orderId),
        }),
      ),
    ];
  }

  onModuleDestroy(): void {
    for (const undo of this.undo.splice(0)) undo();
  }

  private markReturned(orderId: string): Promise<void> {
    return this.outbox.publish(async (sql) => {
      const [row] = await sql.query<{ status: string | null }[]>(MARK_RETURNED_SQL, [orderId]);
      return row?.status === 'RETURNED' ? new OrderReturnedEvent(orderId) : null;
    });
  }

  private close(orderId: string): Promise<void> {
    return this.outbox.publish(async (sql) => {
      const [row] = await sql.query<{ status: string | null }[]>(CLOSE_SQL, [orderId]);
      return row?.status === 'REFUSED' ? new ReturnClosedEvent(orderId, 'the return could not be completed') : null;
    });
  }
}
