import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { orderRequest, startTestApp, type TestApp } from '../support/test-app';
import { databaseKinds } from '../support/test-database';
import { OrderClient } from './support/client';
import { report, watchStock } from './support/harness';
import { checkInvariants, sqlOf, waitSettled } from './support/invariants';
import type { OrderSpec } from './support/orders';

/*
 * Invariant 2 under contention: 200 orders race for 50 units of one SKU, all at once. Exactly 50 win; stock never
 * goes negative; each of the 150 losers is compensated (cancelled with the inventory step's reason, nothing
 * charged, nothing shipped). The step deadline is long, so every outcome is decided by the race, not a timeout.
 */

const UNITS = 50;
const RACERS = 200;

describe.each(databaseKinds())('races: %s', (kind) => {
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    t = await startTestApp(kind, { seedStock: UNITS, saga: { stepTimeoutMs: 60_000 } });
    // A real socket: 200 parallel requests through supertest would each open a listener of their own.
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it(`${RACERS} concurrent orders for one SKU with ${UNITS} units: exactly ${UNITS} sold, never negative, every loser compensated`, async () => {
    const sql = sqlOf(t.dataSource);
    const stock = watchStock(sql, 50);
    const racers: OrderSpec[] = Array.from({ length: RACERS }, (_, i) => ({
      key: `race-${i}`,
      mode: 'visa',
      body: orderRequest({ customerId: `racer-${i}`, items: [{ sku: 'SKU-001', quantity: 1 }] }),
    }));
    const client = new OrderClient(() => [url], { requestTimeoutMs: 60_000 });
    const started = Date.now();
    await Promise.all(racers.map((r) => client.place(r)));
    const settleMs = await waitSettled(sql, 120_000);
    await stock.stop();

    const placed = [...client.placed.values()];
    const invariants = await checkInvariants(sql, { seedStock: UNITS, orders: placed });
    const outcomes = await sql<{
      status: string;
      failure_reason: string | null;
      saga: string;
      reservation: string;
      payments: number;
      shipments: number;
    }>(
      `SELECT o.status, o.failure_reason, s.status AS saga, r.status AS reservation,
              (SELECT count(*)::int FROM payments p WHERE p.order_id = o.id) AS payments,
              (SELECT count(*)::int FROM shipments sh WHERE sh.order_id = o.id) AS shipments
       FROM orders o JOIN saga_instance s ON s.id = o.saga_id LEFT JOIN inventory_reservations r ON r.order_id = o.id`,
    );
    const winners = outcomes.filter((o) => o.status === 'CONFIRMED');
    const losers = outcomes.filter((o) => o.status !== 'CONFIRMED');
    const [sku] = await sql<{ available: number; reserved: number }>(
      `SELECT available, reserved FROM inventory_products WHERE sku = 'SKU-001'`,
    );
    report(`races (${kind})`, {
      racers: RACERS,
      units: UNITS,
      winners: winners.length,
      losers: losers.length,
      ms: Date.now() - started,
      settleMs,
      minStockSeen: stock.min(),
    });

    expect(client.problems).toEqual([]);
    expect(invariants.violations).toEqual([]);
    expect(winners).toHaveLength(UNITS);
    expect(sku).toEqual({ available: 0, reserved: UNITS });
    expect(stock.min()).toBeGreaterThanOrEqual(0);
    expect(losers).toHaveLength(RACERS - UNITS);
    for (const loser of losers) {
      expect(loser).toEqual({
        status: 'CANCELLED',
        failure_reason: 'reserveInventory failed: insufficient stock for SKU-001: requested 1, available 0',
        saga: 'COMPENSATED',
        reservation: 'REJECTED',
        payments: 0,
        shipments: 0,
      });
    }
  }, 180_000);
});
