import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { orderFulfillmentSaga } from '../src/order-fulfillment';
import type { SagaState } from 'sagaworks';
import { SagaTestKit, type ExploreOutcome, type SagaEffect } from 'sagaworks/testing';
import { databaseKinds } from './support/test-database';
import { orderRequest, startTestApp, stockBySku, type TestApp } from './support/test-app';

describe.each(databaseKinds())('the order saga under every fault the testing kit injects, on %s', (kind) => {
  let t: TestApp;
  let kit: SagaTestKit;
  let initial: Record<string, { available: number; reserved: number }>;

  beforeAll(async () => {
    // The kit drives the timeout job and the saga clock itself. Every order is reviewed (threshold 1 cent), so
    // each run passes the fraud review wait, which the kit approves unless its scenario says otherwise.
    t = await startTestApp(kind, {
      saga: { jobEnabled: false, stepTimeoutMs: 2_000, maxAttempts: 2, backoffBaseMs: 100 },
      config: { fraudReview: { thresholdCents: 1, timeoutMs: 60_000 } },
    });
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

  /**
   * What the order's saga did, read back from the modules' own tables (no handler reports anything): the order
   * placed and cancelled or confirmed, the money charged and refunded, the stock reserved and released per SKU,
   * the parcel booked and cancelled. Tombstones (a release or refund that came first) did nothing.
   */
  async function effects(_sagaId: string, state: SagaState): Promise<SagaEffect[]> {
    const orderId = state.correlationId;
    const read = <T>(sql: string) => t.dataSource.query<T[]>(sql, [orderId]);
    const found: SagaEffect[] = [];
    for (const { status } of await read<{ status: string }>(`SELECT status FROM orders WHERE id = $1`)) {
      found.push({ step: 'placeOrder', key: 'order', amount: 1 });
      if (status === 'CANCELLED') found.push({ step: 'placeOrder', compensation: true, key: 'order', amount: -1 });
      if (status === 'CONFIRMED') found.push({ step: 'confirmOrder', key: 'confirmation', amount: 1 });
    }
    for (const p of await read<{ status: string; amount: number }>(
      `SELECT status, amount_cents AS amount FROM payments WHERE order_id = $1`,
    )) {
      if (p.status !== 'CHARGED' && p.status !== 'REFUNDED') continue;
      found.push({ step: 'processPayment', key: 'money', amount: p.amount });
      if (p.status === 'REFUNDED') found.push({ step: 'processPayment', compensation: true, key: 'money', amount: -p.amount });
    }
    for (const r of await read<{ status: string; items: { sku: string; quantity: number }[] }>(
      `SELECT status, items FROM inventory_reservations WHERE order_id = $1`,
    )) {
      if (r.status !== 'RESERVED' && r.status !== 'RELEASED') continue;
      for (const { sku, quantity } of r.items) {
        found.push({ step: 'reserveInventory', key: sku, amount: quantity });
        if (r.status === 'RELEASED') found.push({ step: 'reserveInventory', compensation: true, key: sku, amount: -quantity });
      }
    }
    for (const { status } of await read<{ status: string }>(`SELECT status FROM shipments WHERE order_id = $1`)) {
      if (status !== 'CREATED' && status !== 'CANCELLED') continue;
      found.push({ step: 'createShipment', key: 'parcel', amount: 1 });
      if (status === 'CANCELLED') found.push({ step: 'createShipment', compensation: true, key: 'parcel', amount: -1 });
    }
    return found;
  }

  const commandStepRuns = (step: string) => [
    `${step} fails: COMPENSATED`,
    `${step} never answers: COMPENSATED`,
    `${step}'s reply is lost once: COMPLETED`,
    `${step}'s command delivered twice: COMPLETED`,
    `${step}'s compensation delivered twice: COMPENSATED`,
    `${step}'s compensation reply is lost once: COMPENSATED`,
  ];

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
      effects,
      signals: {
        fraudReview: { approve: { decision: 'approve', reason: 'explored' }, reject: { decision: 'reject', reason: 'explored' } },
      },
    });
    SagaTestKit.assertExplored(report);
    // 1 clean run; per step that sends a command, 4 faults (confirmOrder, forward-only, must complete through its
    // own); per step that can be undone, its compensation delivered twice and its reply lost once; every event twice
    expect(report.runs.map((r) => `${r.scenario}: ${r.state.status}`)).toEqual([
      'no fault: COMPLETED',
      "placeOrder's compensation delivered twice: COMPENSATED",
      "placeOrder's compensation reply is lost once: COMPENSATED",
      ...commandStepRuns('reserveInventory'),
      // The review: approved before the saga gets there (kept), approved twice (the second a duplicate), rejected,
      // never decided (its deadline), and decided after its deadline (refused).
      'fraudReview signalled early: COMPLETED',
      'fraudReview signalled twice: COMPLETED',
      'fraudReview rejected: COMPENSATED',
      'fraudReview never signalled: COMPENSATED',
      'fraudReview signalled late: COMPENSATED',
      ...['processPayment', 'createShipment'].flatMap(commandStepRuns),
      'confirmOrder fails once: COMPLETED',
      'confirmOrder does not answer its first attempt: COMPLETED',
      "confirmOrder's reply is lost once: COMPLETED",
      "confirmOrder's command delivered twice: COMPLETED",
      'every event delivered twice: COMPLETED',
    ]);
    // The effects were read back for every run: a clean run placed, reserved, charged, booked and confirmed once
    // each; a run that undid the parcel undid everything, once.
    const money = { step: 'processPayment', key: 'money', amount: expect.any(Number) };
    const run = (scenario: string) => report.runs.find((r) => r.scenario === scenario)?.effects;
    expect(run('no fault')).toEqual([
      { step: 'placeOrder', key: 'order', amount: 1 },
      { step: 'confirmOrder', key: 'confirmation', amount: 1 },
      money,
      { step: 'reserveInventory', key: 'SKU-001', amount: 1 },
      { step: 'createShipment', key: 'parcel', amount: 1 },
    ]);
    expect(run("createShipment's compensation delivered twice")).toEqual([
      { step: 'placeOrder', key: 'order', amount: 1 },
      { step: 'placeOrder', compensation: true, key: 'order', amount: -1 },
      money,
      { ...money, compensation: true },
      { step: 'reserveInventory', key: 'SKU-001', amount: 1 },
      { step: 'reserveInventory', compensation: true, key: 'SKU-001', amount: -1 },
      { step: 'createShipment', key: 'parcel', amount: 1 },
      { step: 'createShipment', compensation: true, key: 'parcel', amount: -1 },
    ]);
  });
});
