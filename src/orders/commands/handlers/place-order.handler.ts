import { createHash, randomUUID } from 'node:crypto';
import { BadRequestException, UnprocessableEntityException } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { GetProductsQuery, type ProductView } from '../../../inventory';
import { SagaOrchestrator } from '../../../saga';
import { OrderPlacedEvent } from '../../events/order-placed.event';
import { ORDER_FULFILLMENT_SAGA, type OrderFulfillmentData, type OrderLine } from '../../order-fulfillment.contract';
import { fromOrderRow, type OrderRow } from '../../order-rows';
import { toOrderView } from '../../order.view';
import { PlaceOrderCommand, type PlaceOrderResult } from '../impl/place-order.command';

const INSERT_ORDER_SQL = `INSERT INTO orders (id, customer_id, status, total_cents, items, shipping_address, saga_id, idempotency_key, request_hash)
         VALUES ($1, $2, 'PENDING', $3, $4::jsonb, $5::jsonb, $6, $7, $8)
         ON CONFLICT DO NOTHING
         RETURNING id, customer_id, status, total_cents, items, shipping_address, saga_id, idempotency_key, request_hash,
           failure_reason, created_at, updated_at`;

/**
 * Stores the order and its fulfillment saga in ONE statement (`SagaOrchestrator.startWith`): the saga row is the
 * order's outbox, so no crash can leave an order without the saga that settles it. `OrderPlacedEvent` goes out
 * after the statement and kicks off the first step; if it is lost, the saga's lease runs out and the timeout job
 * dispatches the step instead.
 */
@CommandHandler(PlaceOrderCommand)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrderCommand, PlaceOrderResult> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queryBus: QueryBus,
    private readonly eventBus: EventBus,
    private readonly sagas: SagaOrchestrator,
  ) {}

  async execute({ input, idempotencyKey, orderId }: PlaceOrderCommand): Promise<PlaceOrderResult> {
    const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    const sagaId = randomUUID();
    // Priced before anything is written: a bad SKU writes nothing. The order keeps the prices it was placed at.
    const lines = await this.priceLines(input.items);
    const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
    const data: OrderFulfillmentData = {
      orderId,
      customerId: input.customerId,
      items: lines,
      totalCents,
      paymentToken: input.paymentToken,
      shippingAddress: input.shippingAddress,
    };
    const { rows } = await this.sagas.startWith<OrderFulfillmentData, OrderRow>(
      ORDER_FULFILLMENT_SAGA,
      { id: sagaId, correlationId: orderId, data },
      {
        sql: INSERT_ORDER_SQL,
        params: [orderId, input.customerId, totalCents, JSON.stringify(lines), JSON.stringify(input.shippingAddress), sagaId, idempotencyKey ?? null, requestHash],
      },
      { dispatch: false },
    );
    if (rows.length === 0) {
      // The same command again (same order id), or another request with the same idempotency key: no order and no
      // saga were written; answer with the one that exists.
      const [existing] = (await this.dataSource.query(`SELECT * FROM orders WHERE id = $1 OR idempotency_key = $2 ORDER BY (id = $1) DESC LIMIT 1`, [
        orderId,
        idempotencyKey ?? null,
      ])) as OrderRow[];
      if (!existing) throw new Error(`order ${orderId} conflicted but cannot be read`);
      if (existing.request_hash !== requestHash) {
        throw new UnprocessableEntityException('Idempotency-Key was already used with a different request body');
      }
      return { order: toOrderView(fromOrderRow(existing)), replayed: true };
    }
    this.eventBus.publish(new OrderPlacedEvent(sagaId, orderId));
    return { order: toOrderView(fromOrderRow(rows[0])), replayed: false };
  }

  /** Prices each line from the catalog; an unknown SKU is the caller's error (400), found before anything is written. */
  private async priceLines(items: PlaceOrderCommand['input']['items']): Promise<OrderLine[]> {
    const skus = [...new Set(items.map((i) => i.sku))];
    const products: ProductView[] = await this.queryBus.execute(new GetProductsQuery(skus));
    const bySku = new Map(products.map((p) => [p.sku, p]));
    const unknown = items.flatMap((item, i) => (bySku.has(item.sku) ? [] : [`items.${i}.sku must name a product in the catalog; unknown SKU "${item.sku}"`]));
    if (unknown.length > 0) throw new BadRequestException(unknown);
    return items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPriceCents: (bySku.get(i.sku) as ProductView).priceCents }));
  }
}
