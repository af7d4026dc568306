import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SagaOutbox } from 'sagaworks';
import { InventoryReleasedEvent } from '../../events/inventory-released.event';
import { ReleaseInventoryCommand } from '../impl/release-inventory.command';
import { prepared } from '../../../database/prepared-statement';

/*
 * One statement, atomic without a transaction:
 * - `released` is the arbiter. With no row it inserts a RELEASED tombstone (no items), so a late reservation
 *   does nothing. A RESERVED row becomes RELEASED and yields its items; REJECTED or RELEASED rows are left as
 *   they are and yield nothing. ON CONFLICT waits for an in-flight reservation of the same order and then sees
 *   its committed row, so a release racing its reservation cannot miss the stock.
 * - `locked` takes the product locks in SKU order, as reservations do, so the two never deadlock, and returns
 *   the latest committed counts. `restocked` computes from those, not from `p`, whose snapshot may predate the
 *   reservation this release undoes (see the reserve handler: CHECKs run on the stale first attempt).
 */
const RELEASE_SQL = prepared(`
WITH released AS (
  INSERT INTO inventory_reservations AS r (order_id, saga_id, items, status, reason)
  VALUES ($1::uuid, $2::uuid, '[]'::jsonb, 'RELEASED', 'released before any reservation')
  ON CONFLICT (order_id) DO UPDATE SET status = 'RELEASED', updated_at = now()
    WHERE r.status = 'RESERVED'
  RETURNING r.items
),
give_back AS (
  SELECT x.sku, sum(x.quantity)::int AS quantity
  FROM released, jsonb_to_recordset(released.items) AS x(sku text, quantity int)
  GROUP BY x.sku
),
locked AS MATERIALIZED (
  SELECT p.sku, p.available, p.reserved FROM inventory_products p
  WHERE p.sku IN (SELECT sku FROM give_back)
  ORDER BY p.sku
  FOR UPDATE
),
restocked AS (
  UPDATE inventory_products p
  SET available = l.available + g.quantity, reserved = l.reserved - g.quantity
  FROM give_back g JOIN locked l ON l.sku = g.sku
  WHERE p.sku = l.sku
  RETURNING p.sku
)
SELECT (SELECT count(*)::int FROM restocked) AS restocked`);

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
