import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { FlowStalledEvent, onFlowStalled, SagaEventReceivers, SagaOutbox } from 'sagaworks';
import { ORDER_RETURN_FLOW, ReturnRequestedEvent } from '../../orders/events';
import { ReturnRefundRefusedEvent } from '../../payment/events';
import { prepared } from '../../database/prepared-statement';
import { ShipmentReturnReversedEvent } from '../events/shipment-return-reversed.event';
import { ShipmentReturnedEvent } from '../events/shipment-returned.event';

/** Takes back the parcel of a shipped order, once; answers with the return's status now. */
const RECEIVE_SQL = prepared(`WITH r AS (
    INSERT INTO shipment_returns (order_id, status)
    SELECT order_id, 'RECEIVED' FROM shipments WHERE order_id = $1 AND status = 'CREATED'
    ON CONFLICT (order_id) DO NOTHING
    RETURNING status
  )
  SELECT coalesce((SELECT status FROM r), (SELECT status FROM shipment_returns WHERE order_id = $1)) AS status`);
const SEND_BACK_SQL = prepared(`WITH r AS (
    UPDATE shipment_returns SET status = 'SENT_BACK', updated_at = now() WHERE order_id = $1 AND status = 'RECEIVED' RETURNING status
  )
  SELECT coalesce((SELECT status FROM r), (SELECT status FROM shipment_returns WHERE order_id = $1)) AS status`);

/**
 * Shipping's part in the order-return flow: it takes the parcel back when a return is requested, and sends it
 * back to the customer when the refund is refused. A parcel sent back is never announced as returned again, so
 * a late or repeated request cannot lead to a second refund.
 */
@Injectable()
export class ShipmentReturnReceiver implements OnModuleInit, OnModuleDestroy {
  private undo: (() => void)[] = [];

  constructor(
    private readonly receivers: SagaEventReceivers,
    private readonly outbox: SagaOutbox,
  ) {}

  onModuleInit(): void {
    this.undo = [
      this.receivers.on(ReturnRequestedEvent, ({ orderId }) => this.receive(orderId)),
      this.receivers.on(ReturnRefundRefusedEvent, ({ orderId }) => this.sendBack(orderId)),
      this.receivers.on(
        FlowStalledEvent,
        onFlowStalled(ORDER_RETURN_FLOW, 'shipping', {
          completed: (orderId) => this.receive(orderId),
          compensated: (orderId) => this.sendBack(orderId),
        }),
      ),
    ];
  }

  onModuleDestroy(): void {
    for (const undo of this.undo.splice(0)) undo();
  }

  private receive(orderId: string): Promise<void> {
    return this.outbox.publish(async (sql) => {
      const [row] = await sql.query<{ status: string | null }[]>(RECEIVE_SQL, [orderId]);
      return row?.status === 'RECEIVED' ? new ShipmentReturnedEvent(orderId) : null;
    });
  }

  private sendBack(orderId: string): Promise<void> {
    return this.outbox.publish(async (sql) => {
      const [row] = await sql.query<{ status: string | null }[]>(SEND_BACK_SQL, [orderId]);
      return row?.status === 'SENT_BACK' ? new ShipmentReturnReversedEvent(orderId) : null;
    });
  }
}
