import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { orderFulfillmentSaga } from '../src/order-fulfillment';
import { SagaTestKit, type ExploreOutcome } from 'sagaworks/testing';
import { databaseKinds } from './support/test-database';
import { orderRequest, startTestApp, stockBySku, type TestApp } from './support/test-app';

describe.each(databaseKinds())('the order saga under every fault the testing kit injects, on %s', (kind) => {
  let t: TestApp;
  let kit: SagaTestKit;
  let initial: Record<string, { available: number; reserved: number }>;

  beforeAll(async () => {
    // The kit drives the timeout job and the saga clock itself.
    t = await startTestApp(kind, { saga: { jobEnabled: false, stepTimeoutMs: 2_000, maxAttempts: 2, backoffBaseMs: 100 } });
    kit = SagaTestKit.for(t.app);
    initial = await stockBySku(t.dataSource);
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Domain invariants after each run: the order agrees with its saga; stock and money are conserved. */
  async function check(outcome: ExploreOutcome): Promise<void> {
    const orderId = outcome.state.correlationId;
    const [order] = await t.dataSource.query<{ status: string }[]>(`SELECT status FROM orders WHERE id = $1`, [orderId]);
    const expected = outcome.state.status === 'COMPLETED' ? 'CONFIRMED' : 'CANCELLED';
    if (order.status !== expected) throw new Error(`order is ${order.status}, saga ${outcome.state.status}`);
    const [money] = await t.dataSource.query<{ charged: number; rows: number }[]>(
      `SELECT count(*) FILTER (WHERE status = 'CHARGED')::int AS charged, count(*)::int AS rows FROM payments WHERE order_id = $1`,
      [orderId],
    );
    if (money.rows > 1) throw new Error(`${money.rows} payment rows for one order`);
    if (money.charged !== (expected === 'CONFIRMED' ? 1 : 0)) throw new Error(`${money.charged} live charges for a ${expected} order`);
    const [ship] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM shipments WHERE order_id = $1 AND status = 'CREATED'`,
      [orderId],
    );
    if (ship.n !== (expected === 'CONFIRMED' ? 1 : 0)) throw new Error(`${ship.n} live shipments for a ${expected} order`);
    const stock = await stockBySku(t.dataSource);
    for (const [sku, s] of Object.entries(stock)) {
      const before = initial[sku];
      if (s.available + s.reserved !== before.available + before.reserved) throw new Error(`stock of ${sku} not conserved`);
    }
    const [sold] = await t.dataSource.query<{ n: number }[]>(
      `SELECT coalesce(sum((i->>'quantity')::int), 0)::int AS n FROM orders o, jsonb_array_elements(o.items) i WHERE o.status = 'CONFIRMED' AND i->>'sku' = 'SKU-001'`,
    );
    if (stock['SKU-001'].reserved !== sold.n)
      throw new Error(`SKU-001 reserved ${stock['SKU-001'].reserved} but ${sold.n} sold to confirmed orders`);
  }

  it('ends every run completed or compensated, undoes each completed step exactly once, and keeps stock and money', async () => {
    const report = await kit.exploreFailures(orderFulfillmentSaga, {
      start: async () =>
        (
          (
            await t
              .http()
              .post('/orders')
              .send(orderRequest({ items: [{ sku: 'SKU-001', quantity: 1 }] }))
              .expect(201)
          ).body as { sagaId: string }
        ).sagaId,
      check,
    });
    expect(report.failures).toEqual([]);
    // 1 clean run, 3 faults for each of the 4 steps that send a command (confirmOrder, forward-only, must complete
    // through its own), 1 with every event twice
    expect(report.runs.map((r) => `${r.scenario}: ${r.state.status}`)).toEqual([
      'no fault: COMPLETED',
      'reserveInventory fails: COMPENSATED',
      'reserveInventory never answers: COMPENSATED',
      "reserveInventory's reply is lost once: COMPLETED",
      'processPayment fails: COMPENSATED',
      'processPayment never answers: COMPENSATED',
      "processPayment's reply is lost once: COMPLETED",
      'createShipment fails: COMPENSATED',
      'createShipment never answers: COMPENSATED',
      "createShipment's reply is lost once: COMPLETED",
      'confirmOrder fails once: COMPLETED',
      'confirmOrder does not answer its first attempt: COMPLETED',
      "confirmOrder's reply is lost once: COMPLETED",
      'every event delivered twice: COMPLETED',
    ]);
  });
});
