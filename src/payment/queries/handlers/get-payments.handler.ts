import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { PaymentEntity } from '../../entities/payment.entity';
import { GetPaymentsQuery } from '../impl/get-payments.query';
import type { PaymentView } from '../payment.view';

const VISIBLE: PaymentView['status'][] = ['CHARGED', 'DECLINED', 'REFUNDED'];
const LIMIT = 100;

@QueryHandler(GetPaymentsQuery)
export class GetPaymentsHandler implements IQueryHandler<GetPaymentsQuery> {
  constructor(@InjectRepository(PaymentEntity) private readonly payments: Repository<PaymentEntity>) {}

  async execute({ orderId }: GetPaymentsQuery): Promise<PaymentView[]> {
    const rows = await this.payments.find({
      where: { status: In(VISIBLE), ...(orderId ? { orderId } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: LIMIT,
    });
    return rows.map((p) => ({ id: p.id, orderId: p.orderId, amountCents: p.amountCents, status: p.status as PaymentView['status'] }));
  }
}
