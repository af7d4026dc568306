import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FlowStalledEvent, SagaEventReceivers } from 'sagaworks';
import request from 'supertest';
import { ReturnRestockedEvent } from '../src/inventory';
import { OrderReturnedEvent, ReturnRequestedEvent } from '../src/orders';
import { ReturnRefundedEvent } from '../src/payment';
import { ShipmentReturnedEvent } from '../src/shipping';
import { databaseKinds } from './support/test-database';
import { orderRequest, placeAndSettle, startTestApp, stockBySku, type TestApp, waitFor } from './support/test-app';

interface FlowBody {
  id: string;
  type: string;
  status: string;
  failureReason: string | null;
  steps: { name: string; status: string }[];
  flow?: { waitingFor: { step: string; participant: string | null; kind: string; events: string[] }[] };
  history: { step?: string; from: string | null; to: string; reason?: string }[];
}

const ADMIN = 'returns-admin-token';
/** An error answer's message, as the HTTP filter writes it. */
const messageOf = (res: { body: unknown }) => (res.body as { message: unknown }).message;
const STEP_TIMEOUT_MS = 5_000;

describe.each(databaseKinds())('order returns, a choreography tracked as one flow, on %s', (kind) => {
  let t: TestApp;
  const stalls: FlowStalledEvent[] = [];

  beforeAll(async () => {
    t = await startTestApp(kind, { config: { adminToken: ADMIN }, saga: { stepTimeoutMs: STEP_TIMEOUT_MS } });
    // With an admin token the saga API is guarded: every request here is the operator's.
    const operator = request.agent(t.app.getHttpServer()).set('Authorization', `Bearer ${ADMIN}`);
    t.http = () => operator;
    t.app.get(SagaEventReceivers).on(FlowStalledEvent, (e) => Promise.resolve(void stalls.push(e)));
  });

  afterAll(async () => {
    await t?.close();
  });

  const requestReturn = (orderId: string, body?: object, key?: string) => {
    const req = t.http().post(`/orders/${orderId}/returns`);
    if (key) void req.set('Idempotency-Key', key);
    return body ? req.send(body) : req;
  };
  const flowsOf = async (orderId: string) =>
    ((await t.http().get(`/sagas?correlationId=${orderId}`).expect(200)).body as { items: FlowBody[] }).items;
  const flowOf = async (orderId: string): Promise<FlowBody> => {
    const summary = (await flowsOf(orderId)).find((s) => s.type === 'order-return');
    if (!summary) throw new Error(`order ${orderId} has no return flow`);
    return (await t.http().get(`/sagas/${summary.id}`).expect(200)).body as FlowBody;
  };
  const flowEnded = (orderId: string, status: string) =>
    waitFor(
      () => flowOf(orderId),
      (f) => f.status === status,
      20_000,
    );
  const rowsOf = async (orderId: string) => {
    const [row] = await t.dataSource.query<Record<string, string | number | null>[]>(
      `SELECT o.status AS order_status, r.status AS return_status, p.status AS payment_status, p.amount_cents,
              v.status AS reservation_status, sr.status AS parcel_status
       FROM orders o LEFT JOIN order_returns r ON r.order_id = o.id LEFT JOIN payments p ON p.order_id = o.id
       LEFT JOIN inventory_reservations v ON v.order_id = o.id LEFT JOIN shipment_returns sr ON sr.order_id = o.id
       WHERE o.id = $1`,
      [orderId],
    );
    return row;
  };

  it('returns a confirmed order: shipping, payment, inventory and orders react to each other, and one flow shows it', async () => {
    const stockBefore = await stockBySku(t.dataSource);
    const order = await placeAndSettle(t, orderRequest({ items: [{ sku: 'SKU-003', quantity: 4 }] }));
    expect(order.status).toBe('CONFIRMED');
    expect((await stockBySku(t.dataSource))['SKU-003'].available).toBe(stockBefore['SKU-003'].available - 4);

    const res = await requestReturn(order.id, { reason: 'wrong size' }).expect(202);
    expect(res.body).toEqual({ orderId: order.id, status: 'REQUESTED' });
    const flow = await flowEnded(order.id, 'COMPLETED');

    expect(flow.steps.map((s) => [s.name, s.status])).toEqual([
      ['requested', 'COMPLETED'],
      ['parcelReturned', 'COMPLETED'],
      ['refunded', 'COMPLETED'],
      ['restocked', 'COMPLETED'],
      ['orderReturned', 'COMPLETED'],
    ]);
    expect(flow.flow).toEqual({ waitingFor: [] });
    expect(flow.history.filter((h) => h.step).map((h) => h.reason)).toEqual([
      'ReturnRequestedEvent',
      'ShipmentReturnedEvent',
      'ReturnRefundedEvent',
      'ReturnRestockedEvent',
      'OrderReturnedEvent',
    ]);
    // The same correlation id lists the order's saga and its return flow side by side.
    expect((await flowsOf(order.id)).map((s) => [s.type, s.status]).sort()).toEqual([
      ['order-fulfillment', 'COMPLETED'],
      ['order-return', 'COMPLETED'],
    ]);
    expect(await rowsOf(order.id)).toEqual({
      order_status: 'RETURNED',
      return_status: 'RETURNED',
      payment_status: 'REFUNDED',
      amount_cents: order.totalCents,
      reservation_status: 'RESTOCKED',
      parcel_status: 'RECEIVED',
    });
    const shown = (await t.http().get(`/orders/${order.id}`).expect(200)).body as object;
    expect(shown).toMatchObject({ status: 'RETURNED', return: { status: 'RETURNED' } });
    // The customer's reason is kept by orders, never served.
    expect(JSON.stringify(shown)).not.toContain('wrong size');
    // Restocked once: the units are available again, none is left reserved for the order.
    expect((await stockBySku(t.dataSource))['SKU-003']).toEqual(stockBefore['SKU-003']);
  });

  it('answers the same request again by its Idempotency-Key, and refuses a second return', async () => {
    const order = await placeAndSettle(t);
    await requestReturn(order.id, undefined, 'ret-1').expect(202);
    const again = await requestReturn(order.id, undefined, 'ret-1').expect(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual({ orderId: order.id, status: expect.stringMatching(/^(REQUESTED|RETURNED)$/) });
    const other = await requestReturn(order.id, undefined, 'ret-2').expect(409);
    expect(messageOf(other)).toMatch(/already has a return/);
    await requestReturn(order.id).expect(409);
    await flowEnded(order.id, 'COMPLETED');
    expect((await flowsOf(order.id)).filter((s) => s.type === 'order-return')).toHaveLength(1);
  });

  it('refuses what cannot be returned with a clear error, and writes nothing', async () => {
    const count = async () =>
      (
        await t.dataSource.query<{ n: number }[]>(`SELECT (SELECT count(*) FROM order_returns) + (SELECT count(*) FROM saga_instance) AS n`)
      )[0].n;
    const before = await count();
    const cancelled = await placeAndSettle(t, orderRequest({ paymentToken: 'tok_declined' }));
    const afterOrder = await count();
    expect(cancelled.status).toBe('CANCELLED');
    expect(messageOf(await requestReturn(cancelled.id).expect(409))).toBe(
      `order ${cancelled.id} is CANCELLED: only a CONFIRMED order can be returned`,
    );
    await requestReturn('7d1e7a43-0000-4000-8000-000000000000').expect(404);
    expect(messageOf(await requestReturn('not-a-uuid').expect(400))).toEqual(['id must be a UUID']);
    const confirmed = await placeAndSettle(t);
    const afterSecond = await count();
    for (const body of [{ reason: 42 }, { reason: 'x'.repeat(501) }, { reason: 'a\u0000b' }, { reason: 'ok', extra: true }]) {
      const bad = await requestReturn(confirmed.id, body).expect(400);
      expect(JSON.stringify(messageOf(bad))).toMatch(/reason|extra/);
    }
    await requestReturn(confirmed.id, undefined, 'bad key with spaces').expect(400);
    expect(afterOrder - before).toBe(1);
    expect(await count()).toBe(afterSecond);
    expect((await rowsOf(confirmed.id)).return_status).toBeNull();
  });

  it('undoes by events when the provider refuses the refund: the parcel goes back, the order stays CONFIRMED', async () => {
    const order = await placeAndSettle(t, orderRequest({ paymentToken: 'tok_refund_refused' }));
    expect(order.status).toBe('CONFIRMED');
    const stock = await stockBySku(t.dataSource);
    await requestReturn(order.id).expect(202);
    const flow = await flowEnded(order.id, 'COMPENSATED');
    expect(flow.failureReason).toBe('ReturnRefundRefusedEvent: the provider refused the refund');
    expect(Object.fromEntries(flow.steps.map((s) => [s.name, s.status]))).toEqual({
      requested: 'COMPENSATED',
      parcelReturned: 'COMPENSATED',
      refunded: 'FAILED',
      restocked: 'SKIPPED',
      orderReturned: 'SKIPPED',
    });
    expect(await rowsOf(order.id)).toMatchObject({
      order_status: 'CONFIRMED',
      return_status: 'REFUSED',
      payment_status: 'CHARGED',
      reservation_status: 'RESERVED',
      parcel_status: 'SENT_BACK',
    });
    expect(await stockBySku(t.dataSource)).toEqual(stock);
  });

  it('stalls when payment never answers: shows what it waits for, nudges payment, and an operator retries or aborts it', async () => {
    const order = await placeAndSettle(t, orderRequest({ paymentToken: 'tok_refund_silent' }));
    await requestReturn(order.id).expect(202);
    const waiting = await waitFor(
      () => flowOf(order.id),
      (f) => f.steps[1].status === 'COMPLETED',
      10_000,
    );
    expect(waiting.status).toBe('RUNNING');
    const nudgesBefore = stalls.length;
    t.clock.advance(STEP_TIMEOUT_MS + 1);
    await t.job.runOnce();
    const stalled = await flowEnded(order.id, 'STALLED');
    const expected = { step: 'refunded', participant: 'payment', kind: 'completed', events: ['ReturnRefundedEvent'] };
    expect(stalled.flow?.waitingFor).toEqual([
      expected,
      { ...expected, step: 'restocked', participant: 'inventory', events: ['ReturnRestockedEvent'] },
      expect.objectContaining({ step: 'orderReturned' }),
    ]);
    expect(stalled.history.at(-1)).toMatchObject({
      from: 'RUNNING',
      to: 'STALLED',
      reason: 'no ReturnRefundedEvent (refunded, payment) by the deadline',
    });
    await waitFor(
      () => Promise.resolve(stalls.length),
      (n) => n > nudgesBefore,
      5_000,
    );
    expect(stalls.at(-1)).toMatchObject({ flow: 'order-return', flowId: stalled.id, key: order.id, waitingFor: [expected], nudge: 1 });
    expect(((await t.http().get(`/sagas?status=STALLED`).expect(200)).body as { items: FlowBody[] }).items.map((s) => s.id)).toContain(
      stalled.id,
    );
    const page = await t.http().get(`/ui/sagas/${stalled.id}`).set('Authorization', `Bearer ${ADMIN}`).expect(200);
    expect(page.text).toContain('data-flow-waiting="refunded"');
    expect(page.text).toContain('ReturnRefundedEvent');
    const definitions = await t.http().get('/ui/definitions').expect(200);
    expect(definitions.text).toContain('data-definition="order-return"');
    expect(definitions.text).toContain('observed, from shipping');

    const auth = { Authorization: `Bearer ${ADMIN}` };
    const retried = await t.http().post(`/sagas/${stalled.id}/retry`).set(auth).send({ reason: 'provider says it is back' }).expect(200);
    expect(retried.body).toMatchObject({ status: 'RUNNING' });
    await waitFor(
      () => Promise.resolve(stalls.filter((s) => s.flowId === stalled.id).length),
      (n) => n === 2,
      5_000,
    );
    const aborted = await t.http().post(`/sagas/${stalled.id}/abort`).set(auth).send({ reason: 'refund by hand' }).expect(200);
    expect(aborted.body).toMatchObject({ status: 'FAILED', failureReason: expect.stringContaining('refund by hand') });
    // Nothing was refunded or restocked, and nothing is stuck: the flow ended, the order was never touched.
    expect(await rowsOf(order.id)).toMatchObject({ order_status: 'CONFIRMED', payment_status: 'CHARGED', reservation_status: 'RESERVED' });
  });

  it('records events in any order and twice, and a redelivery moves no money and no stock', async () => {
    // A flow the tracker learns of backwards, each event twice: it keeps the early ones and ends COMPLETED.
    const key = '3f1c2b9e-1111-4000-8000-00000000beef';
    const backwards = [
      new OrderReturnedEvent(key),
      new ReturnRestockedEvent(key),
      new ReturnRefundedEvent(key, 100),
      new ShipmentReturnedEvent(key),
      new ReturnRequestedEvent(key),
    ];
    for (const event of backwards) for (let i = 0; i < 2; i++) await t.orchestrator.recordFlowEvent(event);
    const flow = await flowOf(key);
    expect(flow.status).toBe('COMPLETED');
    expect(flow.history.filter((h) => h.step).map((h) => h.reason)).toEqual([
      'OrderReturnedEvent (early)',
      'ReturnRestockedEvent (early)',
      'ReturnRefundedEvent (early)',
      'ShipmentReturnedEvent (early)',
      'ReturnRequestedEvent',
    ]);

    // A returned order's events delivered again to every participant, in reverse: nothing changes.
    const order = await placeAndSettle(t);
    await requestReturn(order.id).expect(202);
    const done = await flowEnded(order.id, 'COMPLETED');
    const stock = await stockBySku(t.dataSource);
    const rows = await rowsOf(order.id);
    const receivers = t.app.get(SagaEventReceivers);
    for (const event of [
      new OrderReturnedEvent(order.id),
      new ReturnRestockedEvent(order.id),
      new ReturnRefundedEvent(order.id, order.totalCents),
      new ShipmentReturnedEvent(order.id),
      new ReturnRequestedEvent(order.id),
    ])
      await receivers.deliver(event);
    expect(await stockBySku(t.dataSource)).toEqual(stock);
    expect(await rowsOf(order.id)).toEqual(rows);
    expect((await flowOf(order.id)).history).toHaveLength(done.history.length);
  });
});
