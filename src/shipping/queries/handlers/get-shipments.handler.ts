import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { ShipmentEntity } from '../../entities/shipment.entity';
import { GetShipmentsQuery } from '../impl/get-shipments.query';
import type { ShipmentView } from '../shipment.view';

// Only shipments that were booked: a REJECTED row never shipped and a VOIDED one is a tombstone.
const VISIBLE: ShipmentView['status'][] = ['CREATED', 'CANCELLED'];
const LIMIT = 100;

@QueryHandler(GetShipmentsQuery)
export class GetShipmentsHandler implements IQueryHandler<GetShipmentsQuery> {
  constructor(@InjectRepository(ShipmentEntity) private readonly shipments: Repository<ShipmentEntity>) {}

  async execute({ orderId }: GetShipmentsQuery): Promise<ShipmentView[]> {
    const rows = await this.shipments.find({
      where: { status: In(VISIBLE), ...(orderId ? { orderId } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: LIMIT,
    });
    return rows.map((s) => ({
      id: s.id,
      orderId: s.orderId,
      status: s.status as ShipmentView['status'],
      trackingNumber: s.trackingNumber ?? '',
    }));
  }
}
