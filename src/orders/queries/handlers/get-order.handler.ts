import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import type { OrderReturnStatus } from '../../order-return.contract';
import { OrderEntity } from '../../entities/order.entity';
import { toOrderView, type OrderView } from '../../order.view';
import { GetOrderQuery } from '../impl/get-order.query';

@QueryHandler(GetOrderQuery)
export class GetOrderHandler implements IQueryHandler<GetOrderQuery, OrderView | null> {
  constructor(
    @InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async execute({ orderId }: GetOrderQuery): Promise<OrderView | null> {
    const [order, [requested]] = await Promise.all([
      this.orders.findOneBy({ id: orderId }),
      this.dataSource.query<{ status: OrderReturnStatus }[]>(`SELECT status FROM order_returns WHERE order_id = $1`, [orderId]),
    ]);
    return order ? toOrderView(order, requested?.status) : null;
  }
}
