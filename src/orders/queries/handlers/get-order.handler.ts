import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { OrderEntity } from '../../entities/order.entity';
import { toOrderView, type OrderView } from '../../order.view';
import { GetOrderQuery } from '../impl/get-order.query';

@QueryHandler(GetOrderQuery)
export class GetOrderHandler implements IQueryHandler<GetOrderQuery, OrderView | null> {
  constructor(@InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>) {}

  async execute({ orderId }: GetOrderQuery): Promise<OrderView | null> {
    const order = await this.orders.findOneBy({ id: orderId });
    return order ? toOrderView(order) : null;
  }
}
