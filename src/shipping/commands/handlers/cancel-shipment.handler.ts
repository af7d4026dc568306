import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SagaOutbox } from 'sagaworks';
import { ShipmentCancelledEvent } from '../../events/shipment-cancelled.event';
import { CancelShipmentCommand } from '../impl/cancel-shipment.command';
import { prepared } from '../../../database/prepared-statement';

/**
 * Cancels an order's shipment once; leaves a VOIDED tombstone when there is none yet, so a late creation books
 * nothing. REJECTED, CANCELLED and VOIDED rows are left as they are.
 */
@CommandHandler(CancelShipmentCommand)
export class CancelShipmentHandler implements ICommandHandler<CancelShipmentCommand, void> {
  constructor(private readonly outbox: SagaOutbox) {}

  execute(command: CancelShipmentCommand): Promise<void> {
    // ON CONFLICT is the arbiter against a creation being written concurrently: it waits for that insert and
    // then cancels the committed row.
    return this.outbox.publish(async (sql) => {
      await sql.query(
        prepared(`INSERT INTO shipments AS s (order_id, saga_id, status, address, reason)
       VALUES ($1, $2, 'VOIDED', '{}'::jsonb, 'cancelled before any shipment')
       ON CONFLICT (order_id) DO UPDATE SET status = 'CANCELLED', updated_at = now()
         WHERE s.status = 'CREATED'
       RETURNING s.status`),
        [command.orderId, command.sagaId],
      );
      return new ShipmentCancelledEvent(command.sagaId, command.orderId);
    });
  }
}
