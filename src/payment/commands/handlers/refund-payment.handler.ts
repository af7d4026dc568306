import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SagaOutbox } from 'sagaworks';
import { PaymentRefundedEvent } from '../../events/payment-refunded.event';
import { PaymentProvider } from '../../provider/payment-provider';
import { RefundPaymentCommand } from '../impl/refund-payment.command';
import { prepared } from '../../../database/prepared-statement';

/**
 * Refunds an order's charge once; leaves a VOIDED tombstone when there is no payment yet, so a late charge does
 * nothing. DECLINED, REFUNDED and VOIDED rows are left as they are.
 */
@CommandHandler(RefundPaymentCommand)
export class RefundPaymentHandler implements ICommandHandler<RefundPaymentCommand, void> {
  constructor(
    private readonly outbox: SagaOutbox,
    private readonly provider: PaymentProvider,
  ) {}

  async execute(command: RefundPaymentCommand): Promise<void> {
    // The provider first, by key: if it fails nothing is recorded and the retry asks again; and a charge that
    // never answered (no row here) may still have gone through there.
    await this.provider.refund(command.orderId);
    // ON CONFLICT is the arbiter against a charge being written concurrently: it waits for that insert and then
    // refunds the committed row.
    // The card token goes with it: after this row, a charge command is answered from the row and needs no token.
    await this.outbox.publish(async (sql) => {
      await sql.query(
        prepared(`WITH r AS (
         INSERT INTO payments AS p (order_id, saga_id, amount_cents, status, reason)
         VALUES ($1, $2, 0, 'VOIDED', 'cancelled before any charge')
         ON CONFLICT (order_id) DO UPDATE SET status = 'REFUNDED', updated_at = now()
           WHERE p.status = 'CHARGED'
         RETURNING p.status
       ), forgotten AS (DELETE FROM payment_methods WHERE id = $3::uuid)
       SELECT status FROM r`),
        [command.orderId, command.sagaId, command.paymentMethodId ?? null],
      );
      return new PaymentRefundedEvent(command.sagaId, command.orderId);
    });
  }
}
