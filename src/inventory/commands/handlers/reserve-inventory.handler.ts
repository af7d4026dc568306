import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SagaOutbox, type SqlRunner } from 'sagaworks';
import type { ReservationStatus } from '../../entities/reservation.entity';
import { InventoryReservationFailedEvent } from '../../events/inventory-reservation-failed.event';
import { InventoryReservedEvent } from '../../events/inventory-reserved.event';
import { ReserveInventoryCommand, type ReservationItem } from '../impl/reserve-inventory.command';
import { prepared } from '../../../database/prepared-statement';

const INT4_MAX = 2_147_483_647;

interface OutcomeRow {
  status: ReservationStatus;
  reason: string | null;
}

/** The request merged per SKU (sorted), or why it cannot be reserved at all. */
type NormalizedRequest = { items: ReservationItem[]; invalid: null } | { items: []; invalid: string };

function normalize(items: ReadonlyArray<ReservationItem>): NormalizedRequest {
  if (items.length === 0) return { items: [], invalid: 'no items to reserve' };
  const merged = new Map<string, number>();
  for (const { sku, quantity } of items) {
    if (typeof sku !== 'string' || sku.length === 0) return { items: [], invalid: 'item without a SKU' };
    // A negative quantity would turn the reservation into a restock.
    if (!Number.isSafeInteger(quantity) || quantity <= 0) return { items: [], invalid: `invalid quantity ${quantity} for ${sku}` };
    const total = (merged.get(sku) ?? 0) + quantity;
    if (total > INT4_MAX) return { items: [], invalid: `invalid quantity ${total} for ${sku}` };
    merged.set(sku, total);
  }
  const sorted = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { items: sorted.map(([sku, quantity]) => ({ sku, quantity })), invalid: null };
}

/*
 * One statement, so it is atomic without a transaction and costs one round trip:
 * - `locked` locks the requested products in SKU order (two orders sharing SKUs can never deadlock) and returns
 *   their LATEST committed stock: under READ COMMITTED, FOR UPDATE follows a row updated after the statement's
 *   snapshot to its newest version;
 * - `verdict` decides all-or-nothing from those locked rows, naming every short or unknown SKU;
 * - `claim` records the outcome keyed by order; ON CONFLICT makes a repeat (or a release tombstone) a no-op;
 * - `taken` moves the stock only if this statement's claim is RESERVED, computing the new counts from `locked`,
 *   never from `p`: `p` is read through the statement's snapshot, which may predate a concurrent commit, and
 *   PostgreSQL checks the CHECK constraints on that stale first attempt before it re-reads the row, so a stale
 *   `p.available - q` could fail spuriously (or, without the CHECK, write a lost update).
 * The CHECK (available >= 0) stays the backstop: if a verdict were ever wrong, the whole statement aborts rather
 * than commit a partial reservation.
 */
const RESERVE_SQL = prepared(`
WITH req AS (
  SELECT r.sku, r.quantity FROM unnest($3::text[], $4::int[]) AS r(sku, quantity)
),
locked AS MATERIALIZED (
  SELECT p.sku, p.available, p.reserved FROM inventory_products p
  WHERE p.sku = ANY($3::text[])
  ORDER BY p.sku
  FOR UPDATE
),
verdict AS (
  SELECT coalesce($6::text, string_agg(
    CASE WHEN l.sku IS NULL THEN format('unknown SKU %s', req.sku)
         ELSE format('insufficient stock for %s: requested %s, available %s', req.sku, req.quantity, l.available) END,
    '; ' ORDER BY req.sku) FILTER (WHERE l.sku IS NULL OR l.available < req.quantity)) AS reason
  FROM req LEFT JOIN locked l ON l.sku = req.sku
),
claim AS (
  INSERT INTO inventory_reservations (order_id, saga_id, items, status, reason)
  SELECT $1::uuid, $2::uuid, $5::jsonb, CASE WHEN v.reason IS NULL THEN 'RESERVED' ELSE 'REJECTED' END, v.reason
  FROM verdict v
  ON CONFLICT (order_id) DO NOTHING
  RETURNING status, reason
),
taken AS (
  UPDATE inventory_products p
  SET available = l.available - req.quantity, reserved = l.reserved + req.quantity
  FROM req JOIN locked l ON l.sku = req.sku
  WHERE p.sku = l.sku AND EXISTS (SELECT 1 FROM claim WHERE claim.status = 'RESERVED')
  RETURNING p.sku
)
SELECT c.status, c.reason, (SELECT count(*)::int FROM taken) AS taken FROM claim c`);

/**
 * Reserves an order's items all or nothing, never overselling under concurrency. A repeat, or a reservation
 * arriving after its release, changes nothing and answers from the stored row.
 */
@CommandHandler(ReserveInventoryCommand)
export class ReserveInventoryHandler implements ICommandHandler<ReserveInventoryCommand, void> {
  constructor(private readonly outbox: SagaOutbox) {}

  execute(command: ReserveInventoryCommand): Promise<void> {
    return this.outbox.publish(async (sql) => {
      const request = normalize(command.items);
      const claimed = await sql.query<OutcomeRow[]>(RESERVE_SQL, [
        command.orderId,
        command.sagaId,
        request.items.map((i) => i.sku),
        request.items.map((i) => i.quantity),
        JSON.stringify(request.items),
        request.invalid,
      ]);
      return this.toEvent(command, claimed[0] ?? (await this.stored(sql, command.orderId)));
    });
  }

  /** The row an earlier command (or a release tombstone) left; it exists, since our insert conflicted with it. */
  private async stored(sql: SqlRunner, orderId: string): Promise<OutcomeRow> {
    const rows = await sql.query<OutcomeRow[]>(prepared(`SELECT status, reason FROM inventory_reservations WHERE order_id = $1`), [
      orderId,
    ]);
    if (!rows[0]) throw new Error(`reservation for order ${orderId} conflicted but cannot be read`);
    return rows[0];
  }

  // The command's sagaId is echoed, not the stored one: the outcome answers this command.
  private toEvent(command: ReserveInventoryCommand, row: OutcomeRow): InventoryReservedEvent | InventoryReservationFailedEvent {
    switch (row.status) {
      case 'RESERVED':
        return new InventoryReservedEvent(command.sagaId, command.orderId);
      case 'REJECTED':
        return new InventoryReservationFailedEvent(command.sagaId, command.orderId, row.reason ?? 'reservation was rejected');
      case 'RELEASED':
        return new InventoryReservationFailedEvent(command.sagaId, command.orderId, 'reservation was released');
    }
  }
}
