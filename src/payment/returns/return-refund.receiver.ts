import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FlowStalledEvent, onFlowStalled, SagaEventReceivers, SagaOutbox } from 'sagaworks';
import type { DataSource } from 'typeorm';
import { ORDER_RETURN_FLOW } from '../../orders/events';
import { ShipmentReturnedEvent } from '../../shipping/events';
import { prepared } from '../../database/prepared-statement';
import type { PaymentStatus } from '../entities/payment.entity';
import { ReturnRefundRefusedEvent } from '../events/return-refund-refused.event';
import { ReturnRefundedEvent } from '../events/return-refunded.event';
import { PaymentProvider } from '../provider/payment-provider';

const FIND_SQL = prepared(`SELECT status, amount_cents, provider_ref FROM payments WHERE order_id = $1`);
const REFUNDED_SQL = prepared(
  `UPDATE payments SET status = 'REFUNDED', reason = 'returned', updated_at = now() WHERE order_id = $1 AND status = 'CHARGED'`,
);

/**
 * Payment's part in the order-return flow: it refunds the charge once the parcel is back. The provider refunds
 * at most once per key, and the row goes CHARGED -> REFUNDED once, so a redelivered event or a stall's nudge
 * asks again without paying twice. A refund the provider does not answer raises nothing: the flow stalls, and
 * its nudge asks again.
 */
@Injectable()
export class ReturnRefundReceiver implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ReturnRefundReceiver.name);
  private undo: (() => void)[] = [];

  constructor(
    private readonly receivers: SagaEventReceivers,
    private readonly outbox: SagaOutbox,
    private readonly provider: PaymentProvider,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.undo = [
      this.receivers.on(ShipmentReturnedEvent, ({ orderId }) => this.refund(orderId)),
      this.receivers.on(FlowStalledEvent, onFlowStalled(ORDER_RETURN_FLOW, 'payment', { completed: (orderId) => this.refund(orderId) })),
    ];
  }

  onModuleDestroy(): void {
    for (const undo of this.undo.splice(0)) undo();
  }

  private async refund(orderId: string): Promise<void> {
    const [payment] = await this.dataSource.query<{ status: PaymentStatus; amount_cents: number; provider_ref: string | null }[]>(
      FIND_SQL,
      [orderId],
    );
    if (payment?.status === 'REFUNDED')
      return this.outbox.publish(() => Promise.resolve(new ReturnRefundedEvent(orderId, payment.amount_cents)));
    if (payment?.status !== 'CHARGED')
      return this.logger.warn(`order ${orderId} has no charge to refund (${payment?.status ?? 'no payment'})`);
    const outcome = await this.provider.refundCharge({
      idempotencyKey: `return-${orderId}`,
      reference: payment.provider_ref,
      amountCents: payment.amount_cents,
    });
    if (outcome.status === 'no-response') return this.logger.warn(`payment provider did not answer the refund of order ${orderId}`);
    if (outcome.status === 'refused')
      return this.outbox.publish(() => Promise.resolve(new ReturnRefundRefusedEvent(orderId, outcome.reason)));
    await this.outbox.publish(async (sql) => {
      await sql.query(REFUNDED_SQL, [orderId]);
      return new ReturnRefundedEvent(orderId, payment.amount_cents);
    });
  }
}
