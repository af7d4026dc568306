import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SagaOutbox, type SqlRunner } from 'sagaworks';
import type { ShipmentStatus } from '../../entities/shipment.entity';
import { ShipmentCreatedEvent } from '../../events/shipment-created.event';
import { ShipmentFailedEvent } from '../../events/shipment-failed.event';
import type { ShippingAddress } from '../../shipping-address';
import { CreateShipmentCommand } from '../impl/create-shipment.command';
import { prepared } from '../../../database/prepared-statement';

/** Countries the carrier does not serve (Antarctica is the documented test case). */
const UNSERVED_COUNTRIES = new Set(['AQ']);
const ADDRESS_FIELDS = ['line1', 'city', 'postalCode', 'country'] as const;

interface ShipmentRow {
  id: string;
  status: ShipmentStatus;
  tracking_number: string | null;
  reason: string | null;
}

/** Ten random hex digits of a v4 UUID (its first eight and the two after the dash): cheaper than randomBytes. */
function trackingNumberFor(uuid: string): string {
  return `TRK-${uuid.slice(0, 8)}${uuid.slice(9, 11)}`.toUpperCase();
}

/** Why the address cannot be shipped to, or null when it can. */
function rejection(address: ShippingAddress | undefined): string | null {
  const missing = ADDRESS_FIELDS.filter((f) => typeof address?.[f] !== 'string' || address[f].trim() === '');
  if (missing.length > 0) return `invalid shipping address: missing ${missing.join(', ')}`;
  const country = (address as ShippingAddress).country.trim().toUpperCase();
  return UNSERVED_COUNTRIES.has(country) ? `cannot ship to ${country}` : null;
}

// Insert-or-read in one round trip: the second branch returns the row an earlier command left. If that row was
// committed after this statement's snapshot (a concurrent repeat) neither branch returns it, and the caller
// reads it again.
const CREATE_SQL = prepared(`
WITH ins AS (
  INSERT INTO shipments (order_id, saga_id, status, tracking_number, address, reason)
  VALUES ($1::uuid, $2::uuid, $3, $4, $5::jsonb, $6)
  ON CONFLICT (order_id) DO NOTHING
  RETURNING id, status, tracking_number, reason
)
SELECT id, status, tracking_number, reason FROM ins
UNION ALL
SELECT id, status, tracking_number, reason FROM shipments WHERE order_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM ins)`);

/** Books an order's shipment once; a repeat, or a creation arriving after a cancellation, books nothing. */
@CommandHandler(CreateShipmentCommand)
export class CreateShipmentHandler implements ICommandHandler<CreateShipmentCommand, void> {
  constructor(private readonly outbox: SagaOutbox) {}

  execute(command: CreateShipmentCommand): Promise<void> {
    const reason = rejection(command.address);
    const trackingNumber = reason ? null : trackingNumberFor(randomUUID());
    const params = [
      command.orderId,
      command.sagaId,
      reason ? 'REJECTED' : 'CREATED',
      trackingNumber,
      JSON.stringify(command.address ?? {}),
      reason,
    ];
    return this.outbox.publish(async (sql) => {
      const rows = await sql.query<ShipmentRow[]>(CREATE_SQL, params);
      return this.toEvent(command, rows[0] ?? (await this.find(sql, command.orderId)));
    });
  }

  private async find(sql: SqlRunner, orderId: string): Promise<ShipmentRow> {
    const rows = await sql.query<ShipmentRow[]>(prepared(`SELECT id, status, tracking_number, reason FROM shipments WHERE order_id = $1`), [
      orderId,
    ]);
    if (!rows[0]) throw new Error(`shipment for order ${orderId} conflicted but cannot be read`);
    return rows[0];
  }

  // The command's sagaId is echoed, not the stored one: the outcome answers this command.
  private toEvent(command: CreateShipmentCommand, row: ShipmentRow): ShipmentCreatedEvent | ShipmentFailedEvent {
    switch (row.status) {
      case 'CREATED':
        return new ShipmentCreatedEvent(command.sagaId, command.orderId, row.id, row.tracking_number ?? '');
      case 'REJECTED':
        return new ShipmentFailedEvent(command.sagaId, command.orderId, row.reason ?? 'shipment was rejected');
      case 'CANCELLED':
      case 'VOIDED':
        return new ShipmentFailedEvent(command.sagaId, command.orderId, 'shipment was cancelled');
    }
  }
}
