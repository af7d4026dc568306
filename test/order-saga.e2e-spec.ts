import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { SagaHooks } from 'sagaworks';
import { InventoryReservedEvent } from '../src/inventory';
import { databaseKinds } from './support/test-database';
import { orderRequest, placeAndSettle, settle, startTestApp, stockBySku, type TestApp, waitFor } from './support/test-app';

interface SagaBody {
  status: string;
  currentStep: string;
  steps: { name: string; status: string; attempts: number; compensationAttempts: number; error?: string }[];
  history: { seq: number; step?: string; from: string | null; to: string; reason?: string }[];
}

/** What POST /orders answers. */
interface PlacedBody {
  id: string;
  sagaId: string;
}

const stepStatus = (saga: SagaBody) => Object.fromEntries(saga.steps.map((s) => [s.name, s.status]));
/** Sequence numbers at which each step reached `to`, from the saga's history. */
const reached = (saga: SagaBody, to: string) =>
  Object.fromEntries(saga.history.filter((h) => h.step && h.to === to).map((h) => [h.step as string, h.seq]));

describe.each(databaseKinds())('order saga over HTTP, on %s', (kind) => {
  let t: TestApp;
  const sagaOf = async (id: string) => (await t.http().get(`/sagas/${id}`).expect(200)).body as SagaBody;
  const paymentsOf = async (orderId: string) =>
    (await t.http().get(`/payments?orderId=${orderId}`).expect(200)).body as { status: string; amountCents: number }[];
  const shipmentsOf = async (orderId: string) =>
    (await t.http().get(`/shipments?orderId=${orderId}`).expect(200)).body as { status: string; trackingNumber: string }[];

  beforeAll(async () => {
    t = await startTestApp(kind);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('serves the seeded catalog', async () => {
    const res = await t.http().get('/products').expect(200);
    expect((res.body as { sku: string }[]).map((p) => p.sku)).toEqual(
      expect.arrayContaining(['SKU-001', 'SKU-002', 'SKU-003', 'SKU-004', 'SKU-005']),
    );
    for (const p of res.body)
      expect(p).toEqual({ sku: expect.any(String), name: expect.any(String), priceCents: expect.any(Number), available: 100 });
  });

  describe('when every step succeeds', () => {
    it('confirms the order, charges once, ships once and keeps the reserved stock', async () => {
      const before = await stockBySku(t.dataSource);
      const res = await t
        .http()
        .post('/orders')
        .send(orderRequest({ items: [{ sku: 'SKU-002', quantity: 3 }] }))
        .expect(201);
      expect(res.body).toEqual({ id: expect.any(String), status: 'PENDING', sagaId: expect.any(String) });
      const order = await settle(t, (res.body as PlacedBody).id);
      expect(order.status).toBe('CONFIRMED');
      expect(order.failureReason).toBeUndefined();
      const saga = await sagaOf(order.sagaId);
      expect(saga.status).toBe('COMPLETED');
      expect(stepStatus(saga)).toEqual({
        placeOrder: 'COMPLETED',
        reserveInventory: 'COMPLETED',
        // Below the fraud-review threshold: no review.
        fraudReview: 'SKIPPED',
        processPayment: 'COMPLETED',
        createShipment: 'COMPLETED',
        confirmOrder: 'COMPLETED',
      });
      const payments = await paymentsOf(order.id);
      expect(payments).toEqual([expect.objectContaining({ status: 'CHARGED', amountCents: order.totalCents })]);
      expect(await shipmentsOf(order.id)).toEqual([
        expect.objectContaining({ status: 'CREATED', trackingNumber: expect.stringMatching(/^TRK-/) }),
      ]);
      const after = await stockBySku(t.dataSource);
      expect(after['SKU-002']).toEqual({ available: before['SKU-002'].available - 3, reserved: before['SKU-002'].reserved + 3 });
      const products = (await t.http().get('/products').expect(200)).body as { sku: string; available: number }[];
      expect(products.find((p) => p.sku === 'SKU-002')?.available).toBe(after['SKU-002'].available);
    });
  });

  describe('pricing', () => {
    it('prices every line from the catalog in the placing statement, and charges that total', async () => {
      const catalog = (await t.http().get('/products').expect(200)).body as { sku: string; priceCents: number }[];
      const price = (sku: string): number => catalog.find((p) => p.sku === sku)!.priceCents;
      const items = [
        { sku: 'SKU-005', quantity: 2 },
        { sku: 'SKU-001', quantity: 1 },
      ];
      const order = await placeAndSettle(t, orderRequest({ items }));
      expect(order.status).toBe('CONFIRMED');
      expect(order.items).toEqual(items.map((i) => ({ ...i, unitPriceCents: price(i.sku) })));
      expect(order.totalCents).toBe(2 * price('SKU-005') + price('SKU-001'));
      expect(await paymentsOf(order.id)).toEqual([expect.objectContaining({ status: 'CHARGED', amountCents: order.totalCents })]);
      const [saga] = await t.dataSource.query<{ data: Record<string, unknown> }[]>(`SELECT data FROM saga_instance WHERE id = $1`, [
        order.sagaId,
      ]);
      expect(saga.data).toMatchObject({ orderId: order.id, items: order.items, totalCents: order.totalCents });
    });
  });

  describe('when more is ordered than is available', () => {
    it('cancels the order, charges nothing and leaves the stock untouched', async () => {
      const before = await stockBySku(t.dataSource);
      const order = await placeAndSettle(
        t,
        orderRequest({
          items: [
            { sku: 'SKU-003', quantity: 1 },
            { sku: 'SKU-004', quantity: 101 },
          ],
        }),
      );
      expect(order.status).toBe('CANCELLED');
      expect(order.failureReason).toMatch(/reserveInventory failed: .*insufficient stock/i);
      const saga = await sagaOf(order.sagaId);
      expect(saga.status).toBe('COMPENSATED');
      expect(stepStatus(saga)).toMatchObject({ placeOrder: 'COMPENSATED', reserveInventory: 'FAILED', processPayment: 'PENDING' });
      expect(await paymentsOf(order.id)).toEqual([]);
      expect(await stockBySku(t.dataSource)).toEqual(before);
    });
  });

  describe('when the payment is declined', () => {
    it('releases the reserved stock and cancels the order', async () => {
      const before = await stockBySku(t.dataSource);
      const order = await placeAndSettle(t, orderRequest({ paymentToken: 'tok_declined' }));
      expect(order.status).toBe('CANCELLED');
      expect(order.failureReason).toMatch(/processPayment failed/);
      const saga = await sagaOf(order.sagaId);
      expect(stepStatus(saga)).toMatchObject({ reserveInventory: 'COMPENSATED', processPayment: 'FAILED', createShipment: 'PENDING' });
      expect((await paymentsOf(order.id)).map((p) => p.status)).toEqual(['DECLINED']);
      expect(await stockBySku(t.dataSource)).toEqual(before);
    });
  });

  describe('when the shipment cannot be made (country AQ)', () => {
    it('refunds the payment, then releases the stock, in that order', async () => {
      const before = await stockBySku(t.dataSource);
      const order = await placeAndSettle(
        t,
        orderRequest({ shippingAddress: { line1: 'Base 1', city: 'McMurdo', postalCode: '0000', country: 'AQ' } }),
      );
      expect(order.status).toBe('CANCELLED');
      expect(order.failureReason).toMatch(/createShipment failed: .*AQ/);
      const saga = await sagaOf(order.sagaId);
      expect(saga.status).toBe('COMPENSATED');
      const done = reached(saga, 'COMPENSATED');
      expect(done.processPayment).toBeLessThan(done.reserveInventory);
      expect(done.reserveInventory).toBeLessThan(done.placeOrder);
      expect((await paymentsOf(order.id)).map((p) => p.status)).toEqual(['REFUNDED']);
      expect(await shipmentsOf(order.id)).toEqual([]);
      expect(await stockBySku(t.dataSource)).toEqual(before);
    });
  });

  describe('when the caller asks to wait for the outcome (Prefer: wait=N)', () => {
    it('answers with the settled order', async () => {
      const ok = await t.http().post('/orders').set('Prefer', 'wait=10').send(orderRequest()).expect(201);
      expect(ok.headers['preference-applied']).toBe('wait=10');
      expect(ok.body).toMatchObject({ status: 'CONFIRMED', sagaId: expect.any(String), totalCents: expect.any(Number) });
      const declined = await t
        .http()
        .post('/orders')
        .set('Prefer', 'wait=10')
        .send(orderRequest({ paymentToken: 'tok_declined' }))
        .expect(201);
      expect(declined.body).toMatchObject({ status: 'CANCELLED', failureReason: expect.stringMatching(/processPayment failed/) });
    });
  });

  describe('when the same Idempotency-Key is sent twice', () => {
    it('returns the same order and starts one saga', async () => {
      const key = `key-${Date.now()}`;
      const body = orderRequest({ customerId: 'cust-idem' });
      const [a, b] = await Promise.all([
        t.http().post('/orders').set('Idempotency-Key', key).send(body).expect(201),
        t.http().post('/orders').set('Idempotency-Key', key).send(body).expect(201),
      ]);
      const c = await t.http().post('/orders').set('Idempotency-Key', key).send(body).expect(201);
      expect((b.body as PlacedBody).id).toBe((a.body as PlacedBody).id);
      expect((c.body as PlacedBody).id).toBe((a.body as PlacedBody).id);
      expect((c.body as PlacedBody).sagaId).toBe((a.body as PlacedBody).sagaId);
      expect(c.headers['idempotent-replayed']).toBe('true');
      await settle(t, (a.body as PlacedBody).id);
      const rows = await t.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM orders WHERE customer_id = 'cust-idem'`);
      expect(rows[0].n).toBe(1);
      const sagas = await t.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM saga_instance WHERE correlation_id = $1`, [
        (a.body as PlacedBody).id,
      ]);
      expect(sagas[0].n).toBe(1);
      expect(await paymentsOf((a.body as PlacedBody).id)).toHaveLength(1);
    });

    it('refuses the key with a different body and writes nothing', async () => {
      const key = `key2-${Date.now()}`;
      await t.http().post('/orders').set('Idempotency-Key', key).send(orderRequest()).expect(201);
      const res = await t
        .http()
        .post('/orders')
        .set('Idempotency-Key', key)
        .send(orderRequest({ customerId: 'someone-else' }))
        .expect(422);
      expect((res.body as { message: unknown }).message).toMatch(/Idempotency-Key/);
    });
  });

  describe('when every reply is delivered twice', () => {
    it('takes each step once and has each effect once', async () => {
      // Each reply reaches its saga twice, at once, as an at-least-once broker may deliver it.
      const unregister = t.app.get(SagaHooks).register({
        aroundReply: (_reply, next) => {
          void next();
          return next();
        },
      });
      try {
        const before = await stockBySku(t.dataSource);
        const happy = await placeAndSettle(t, orderRequest({ items: [{ sku: 'SKU-005', quantity: 1 }] }));
        const failed = await placeAndSettle(
          t,
          orderRequest({
            items: [{ sku: 'SKU-005', quantity: 1 }],
            shippingAddress: { line1: 'x', city: 'y', postalCode: 'z', country: 'AQ' },
          }),
        );
        expect(happy.status).toBe('CONFIRMED');
        expect(failed.status).toBe('CANCELLED');
        for (const order of [happy, failed]) {
          const saga = await sagaOf(order.sagaId);
          const transitions = saga.history.filter((h) => h.step).map((h) => `${h.step}:${h.from}->${h.to}`);
          expect(new Set(transitions).size).toBe(transitions.length);
          expect(saga.steps.every((s) => s.attempts <= 1 && s.compensationAttempts <= 1)).toBe(true);
        }
        expect((await paymentsOf(happy.id)).map((p) => p.status)).toEqual(['CHARGED']);
        expect((await paymentsOf(failed.id)).map((p) => p.status)).toEqual(['REFUNDED']);
        expect(await shipmentsOf(happy.id)).toHaveLength(1);
        const after = await stockBySku(t.dataSource);
        expect(after['SKU-005'].available).toBe(before['SKU-005'].available - 1);
        expect(after['SKU-005'].available + after['SKU-005'].reserved).toBe(before['SKU-005'].available + before['SKU-005'].reserved);
      } finally {
        unregister();
      }
    });
  });

  describe('when a saga stream meets an event it cannot handle', () => {
    it('logs it and keeps handling the events that follow', async () => {
      // A reply naming a saga id that is not a UUID makes the store's query throw inside the stream.
      t.app.get(EventBus).publish(new InventoryReservedEvent('not-a-uuid', 'not-a-uuid'));
      await new Promise((r) => setTimeout(r, 50));
      const order = await placeAndSettle(t, orderRequest({ items: [{ sku: 'SKU-001', quantity: 1 }] }));
      expect(order.status).toBe('CONFIRMED');
    });
  });

  describe('the inspection API', () => {
    it('lists sagas by status and type, a page of summaries without history, and validates its query', async () => {
      const res = await t.http().get('/sagas?status=COMPLETED&type=order-fulfillment&limit=2').expect(200);
      const page = res.body as { items: Record<string, unknown>[]; nextCursor: string | null };
      expect(page.items.length).toBeGreaterThan(0);
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const s of page.items) {
        expect(s).toMatchObject({
          status: 'COMPLETED',
          type: 'order-fulfillment',
          steps: expect.any(Array),
          currentStep: expect.any(String),
        });
        expect(s).not.toHaveProperty('history');
        expect(s).not.toHaveProperty('data');
      }
      await t.http().get('/sagas?status=NOPE').expect(400);
      await t.http().get('/sagas?limit=0').expect(400);
      const tooMany = await t.http().get('/sagas?limit=101').expect(400);
      expect(JSON.stringify(tooMany.body)).toContain('limit must not be greater than 100');
      const badCursor = await t.http().get('/sagas?cursor=not-a-cursor').expect(400);
      expect(JSON.stringify(badCursor.body)).toContain('cursor must be the nextCursor of an earlier page');
      await t.http().get('/sagas/not-a-uuid').expect(400);
      await t.http().get('/sagas/00000000-0000-4000-8000-000000000000').expect(404);
      await t.http().get('/orders/00000000-0000-4000-8000-000000000000').expect(404);
    });

    it('pages through every saga once, newest first, by nextCursor, and the detail keeps the history', async () => {
      const all = (await t.http().get('/sagas?limit=100').expect(200)).body as { items: { id: string }[]; nextCursor: string | null };
      expect(all.nextCursor).toBeNull();
      expect(all.items.length).toBeGreaterThan(3);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `/sagas?limit=2&cursor=${cursor}` : '/sagas?limit=2';
        const page = (await t.http().get(query).expect(200)).body as { items: { id: string }[]; nextCursor: string | null };
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((s) => s.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.items.map((s) => s.id));
      const detail = (await t.http().get(`/sagas/${seen[0]}`).expect(200)).body as { history: unknown[] };
      expect(detail.history.length).toBeGreaterThan(0);
    });

    it('serves health and the OpenAPI document', async () => {
      const health = await t.http().get('/health').expect(200);
      expect((health.body as { status: unknown }).status).toBe('ok');
      await t.http().get('/docs').expect(200);
    });
  });
});

describe.each(databaseKinds())('a step that never answers (tok_timeout), on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind, { saga: { stepTimeoutMs: 300, maxAttempts: 2, backoffBaseMs: 50, backoffMaxMs: 100, jobIntervalMs: 50 } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('is retried up to its budget, then compensated: stock released, nothing charged', async () => {
    const before = await stockBySku(t.dataSource);
    const order = await placeAndSettle(t, orderRequest({ paymentToken: 'tok_timeout' }));
    expect(order.status).toBe('CANCELLED');
    expect(order.failureReason).toMatch(/processPayment failed: processPayment timed out after 2 attempts/);
    const saga = (await t.http().get(`/sagas/${order.sagaId}`).expect(200)).body as SagaBody;
    const payment = saga.steps.find((s) => s.name === 'processPayment');
    expect(payment).toMatchObject({ attempts: 2, status: 'COMPENSATED' });
    expect(saga.history.some((h) => h.step === 'processPayment' && /retry in \d+ ms/.test(h.reason ?? ''))).toBe(true);
    const payments = (await t.http().get(`/payments?orderId=${order.id}`).expect(200)).body as { status: string }[];
    expect(payments.filter((p) => p.status === 'CHARGED')).toEqual([]);
    expect(await stockBySku(t.dataSource)).toEqual(before);
  });

  it('a happy order is not disturbed by the short deadlines', async () => {
    const order = await placeAndSettle(t, orderRequest());
    expect(order.status).toBe('CONFIRMED');
    await waitFor(
      async () => ((await t.http().get(`/sagas/${order.sagaId}`)).body as { status: string }).status,
      (s) => s === 'COMPLETED',
    );
  });
});
