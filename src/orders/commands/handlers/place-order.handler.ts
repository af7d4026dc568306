import { createHash, randomUUID } from 'node:crypto';
import { BadRequestException, UnprocessableEntityException } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { capMessages } from '../../../http/validation-messages';
import { SagaOrchestrator } from 'sagaworks';
import { OrderPlacedEvent } from '../../events/order-placed.event';
import { ORDER_FULFILLMENT_SAGA, type OrderFulfillmentData } from '../../order-fulfillment.contract';
import { fromOrderRow, type OrderRow } from '../../order-rows';
import { toOrderView } from '../../order.view';
import { OrderPricing } from '../../placement/order-pricing';
import { PaymentMethodHandoff } from '../../placement/payment-method-handoff';
import { PlaceOrderCommand, type PlaceOrderResult } from '../impl/place-order.command';

/**
 * Prices the lines from the catalog in the same statement (`OrderPricing`: inventory's catalog, or this service's
 * copy of it), so placing an order is one round trip. A SKU not in the catalog leaves the priced lines NULL and
 * the statement inserts nothing. `saga_data` hands the priced lines, the total and the payment method id to the
 * saga's data (`CompanionWrite.dataColumn`). The card token is handed to the payment module by
 * `storePaymentMethod` (`PaymentMethodHandoff`), an expression of the RETURNING list: evaluated only for the order
 * row inserted, so an unknown SKU or a replayed order stores no token, and it commits with the order and the saga
 * or not at all.
 */
function insertOrderSql(pricedLines: string, storePaymentMethod: string): string {
  return `INSERT INTO orders (id, customer_id, status, total_cents, items, shipping_address, saga_id, idempotency_key, request_hash)
         SELECT $1::uuid, $2::text, 'PENDING', priced.total_cents, priced.lines, $4::jsonb, $5::uuid, $6::text, $7::text
         FROM ${pricedLines} AS priced
         WHERE priced.lines IS NOT NULL
         ON CONFLICT DO NOTHING
         RETURNING id, customer_id, status, total_cents, items, shipping_address, saga_id, idempotency_key, request_hash,
           failure_reason, created_at, updated_at,
           jsonb_build_object('items', items, 'totalCents', total_cents, 'paymentMethodId', ${storePaymentMethod}) AS saga_data`;
}

/**
 * Stores the order and its fulfillment saga in ONE statement (`SagaOrchestrator.startWith`): the saga row is the
 * order's outbox, so no crash can leave an order without the saga that settles it. `OrderPlacedEvent` goes out
 * after the statement and kicks off the first step; if it is lost, the saga's lease runs out and the timeout job
 * dispatches the step instead. The card token goes to the payment module in that same statement; the saga carries
 * only its id.
 */
@CommandHandler(PlaceOrderCommand)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrderCommand, PlaceOrderResult> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
    private readonly sagas: SagaOrchestrator,
    private readonly pricing: OrderPricing,
    private readonly handoff: PaymentMethodHandoff,
  ) {
    this.insertOrderSql = insertOrderSql(pricing.pricedLinesSql('$3'), handoff.storeExpression(8));
  }

  private readonly insertOrderSql: string;

  async execute({ input, idempotencyKey, orderId }: PlaceOrderCommand): Promise<PlaceOrderResult> {
    const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    const sagaId = randomUUID();
    const requested = input.items.map((i) => ({ sku: i.sku, quantity: i.quantity }));
    const data: OrderFulfillmentData = {
      orderId,
      customerId: input.customerId,
      // Priced and stored by the statement: its saga_data column replaces these before anything is stored or
      // dispatched (a row without it stores nothing).
      items: [],
      totalCents: 0,
      paymentMethodId: randomUUID(),
      shippingAddress: input.shippingAddress,
    };
    const paymentMethod = this.handoff.store(data.paymentMethodId, input.paymentToken);
    const { rows } = await this.sagas.startWith<OrderFulfillmentData, OrderRow>(
      ORDER_FULFILLMENT_SAGA,
      { id: sagaId, correlationId: orderId, data },
      {
        sql: this.insertOrderSql,
        params: [
          orderId,
          input.customerId,
          JSON.stringify(requested),
          JSON.stringify(input.shippingAddress),
          sagaId,
          idempotencyKey ?? null,
          requestHash,
          ...paymentMethod.params,
        ],
        dataColumn: 'saga_data',
      },
      { dispatch: false },
    );
    if (rows.length === 0) {
      // Nothing was written: a SKU is not in the catalog (the caller's error, 400, checked first as it always was),
      // or this is the same command again (same order id), or another request with the same idempotency key:
      // answer with the order that exists.
      await this.requireKnownSkus(input.items);
      const [existing] = await this.dataSource.query<OrderRow[]>(
        `SELECT * FROM orders WHERE id = $1 OR idempotency_key = $2 ORDER BY (id = $1) DESC LIMIT 1`,
        [orderId, idempotencyKey ?? null],
      );
      if (!existing) throw new Error(`order ${orderId} conflicted but cannot be read`);
      if (existing.request_hash !== requestHash) {
        throw new UnprocessableEntityException('Idempotency-Key was already used with a different request body');
      }
      return { order: toOrderView(fromOrderRow(existing)), replayed: true };
    }
    paymentMethod.committed();
    this.eventBus.publish(new OrderPlacedEvent(sagaId, orderId));
    return { order: toOrderView(fromOrderRow(rows[0])), replayed: false };
  }

  /** An unknown SKU is the caller's error (400), each one named (up to the cap every 400 has). */
  private async requireKnownSkus(items: PlaceOrderCommand['input']['items']): Promise<void> {
    const known = await this.pricing.knownSkus([...new Set(items.map((i) => i.sku))]);
    const unknown = items.flatMap((item, i) =>
      known.has(item.sku) ? [] : [`items.${i}.sku must name a product in the catalog; unknown SKU "${item.sku}"`],
    );
    if (unknown.length > 0) throw new BadRequestException(capMessages(unknown));
  }
}
