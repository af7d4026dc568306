import { Query } from '@nestjs/cqrs';
import type { ShipmentView } from '../shipment.view';

/** An order's shipment (at most one), or without `orderId` the latest 100 shipments, newest first. */
export class GetShipmentsQuery extends Query<ShipmentView[]> {
  constructor(public readonly orderId?: string) {
    super();
  }
}
