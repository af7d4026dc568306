import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { outboxPutSql, SagaOrchestrator, SagaOutbox } from 'sagaworks';
import type { DataSource } from 'typeorm';
import { ReturnRequestedEvent } from '../../events/return-requested.event';
import type { OrderReturnStatus } from '../../order-return.contract';
import { RequestReturnCommand, type RequestReturnResult } from '../impl/request-return.command';

/** A request for a CONFIRMED order without one yet; the returning clause carries the event's outbox put when a broker relays it. */
const requestSql = (putEvent: boolean) => `INSERT INTO order_returns (order_id, status, reason, idempotency_key)
  SELECT o.id, 'REQUESTED', $2, $3 FROM orders o WHERE o.id = $1 AND o.status = 'CONFIRMED'
  ON CONFLICT (order_id) DO NOTHING
  RETURNING order_id, status${putEvent ? `, ${outboxPutSql(4)} AS outbox_id` : ''}`;
const REQUEST_SQL = requestSql(false);
const REQUEST_AND_PUT_SQL = requestSql(true);
const LOOK_UP_SQL = `SELECT o.status AS order_status, r.status AS return_status, r.idempotency_key
  FROM orders o LEFT JOIN order_returns r ON r.order_id = o.id WHERE o.id = $1`;

/**
 * Records the request and starts the order-return flow's instance in ONE statement (`startFlowWith`), so a crash
 * can never leave a request that no flow tracks, or a flow without its request. From there the services react
 * to each other's events; nothing here commands them.
 */
@CommandHandler(RequestReturnCommand)
export class RequestReturnHandler implements ICommandHandler<RequestReturnCommand, RequestReturnResult> {
  constructor(
    private readonly sagas: SagaOrchestrator,
    private readonly outbox: SagaOutbox,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async execute({ orderId, reason, idempotencyKey }: RequestReturnCommand): Promise<RequestReturnResult> {
    const event = new ReturnRequestedEvent(orderId);
    const put = this.outbox.durable ? this.outbox.prepare(event) : null;
    const rows = await this.sagas.startFlowWith<{ status: OrderReturnStatus }>(event, {
      sql: put ? REQUEST_AND_PUT_SQL : REQUEST_SQL,
      params: [orderId, reason ?? null, idempotencyKey ?? null, ...(put?.params ?? [])],
    });
    if (rows.length === 0) return this.refused(orderId, idempotencyKey);
    if (put) this.outbox.committed([put]);
    else await this.outbox.publish(() => Promise.resolve(event));
    return { orderId, status: rows[0].status, replayed: false };
  }

  /** Nothing was written: the same request again (same key), a second return, or an order that cannot be returned. */
  private async refused(orderId: string, idempotencyKey: string | undefined): Promise<RequestReturnResult> {
    const [found] = await this.dataSource.query<
      { order_status: string; return_status: OrderReturnStatus | null; idempotency_key: string | null }[]
    >(LOOK_UP_SQL, [orderId]);
    if (!found) throw new NotFoundException(`order ${orderId} not found`);
    if (found.return_status) {
      if (idempotencyKey !== undefined && found.idempotency_key === idempotencyKey)
        return { orderId, status: found.return_status, replayed: true };
      throw new ConflictException(`order ${orderId} already has a return (${found.return_status})`);
    }
    throw new ConflictException(`order ${orderId} is ${found.order_status}: only a CONFIRMED order can be returned`);
  }
}
