import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SagaOutbox } from 'sagaworks';
import { InventoryReleasedEvent } from '../../events/inventory-released.event';
import { ReleaseInventoryCommand } from '../impl/release-inventory.command';
import { prepared } from '../../../database/prepared-statement';
import { giveBackSql } from '../give-back.sql';

/*
 * One statement, atomic without a transaction:
 * - `released` is the arbiter. With no row it inserts a RELEASED tombstone (no items), so a late reservation
 *   does nothing. A RESERVED row becomes RELEASED and yields its items; REJECTED or RELEASED rows are left as
 *   they are and yield nothing. ON CONFLICT waits for an in-flight reservation of the same order and then sees
 *   its committed row, so a release racing its reservation cannot miss the stock.
 * - then the units go back to stock (`giveBackSql`).
 */
const RELEASE_SQL = prepared(`
WITH released AS (
  INSERT INTO inventory_reservations AS r (order_id, saga_id, items, status, reason)
  VALUES ($1::uuid, $2::uuid, '[]'::jsonb, 'RELEASED', 'released before any reservation')
  ON CONFLICT (order_id) DO UPDATE SET status = 'RELEASED', updated_at = now()
    WHERE r.status = 'RESERVED'
  RETURNING r.items
),
${giveBackSql('released')}
SELECT (SELECT count(*)::int FROM moved) AS restocked`);

/** Returns an order's reserved stock, once; leaves a tombstone when there is nothing to return yet. */
@CommandHandler(ReleaseInventoryCommand)
export class ReleaseInventoryHandler implements ICommandHandler<ReleaseInventoryCommand, void> {
  constructor(private readonly outbox: SagaOutbox) {}

  execute(command: ReleaseInventoryCommand): Promise<void> {
    return this.outbox.publish(async (sql) => {
      await sql.query(RELEASE_SQL, [command.orderId, command.sagaId]);
      return new InventoryReleasedEvent(command.sagaId, command.orderId);
    });
  }
}
