import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FaultInjection, FaultInjectionModule } from '../support/fault-injection/fault-injection.module';
import { orderRequest, startTestApp, type TestApp } from '../support/test-app';
import { databaseKinds, type DatabaseKind } from '../support/test-database';
import { OrderClient } from './support/client';
import { report } from './support/harness';
import { checkInvariants, type Sql, sqlOf, waitSettled } from './support/invariants';
import { orderMix, type OrderSpec, runPool, sleep } from './support/orders';

/*
 * Invariant 4: a duplicate command or event changes nothing. The fault injection of test/support makes the buses
 * deliver every command (the HTTP layer's PlaceOrderCommand included) and every outcome event twice, half of
 * the duplicates racing the original and half arriving after it. The same orders run once without the switch
 * and once with it; the final states must be identical, down to each saga's step attempts and history.
 */

const SEED_STOCK = 100;
const orders = orderMix(40, { prefix: 'dup', seed: 5, overstockQuantity: 500 });
/** Orders sent without an Idempotency-Key: only the command's own identity can keep a duplicate from counting. */
const KEYLESS = 3;
/**
 * Far longer than any step takes on a starved machine: a deadline passing in wall time would add a retry to one
 * run's history and not the other's. The tok_timeout payments reach theirs because the saga clock is moved.
 */
const STEP_TIMEOUT_MS = 60_000;

interface Run {
  state: { key: string }[];
  /** Each saga's history with its reasons, by order key: not compared, printed when the states differ. */
  detail: Record<string, string>;
  stock: unknown;
  counts: unknown;
  app: TestApp;
  url: string;
  placed: { key: string; mode: OrderSpec['mode']; orderId: string | null }[];
  duplicates: { commands: number; events: number } | null;
  violations: string[];
  problems: string[];
}

async function snapshot(sql: Sql): Promise<Pick<Run, 'state' | 'detail' | 'stock' | 'counts'>> {
  const state = await sql(
    // The stock an overstock order saw depends on which orders ran before it: not part of the comparison.
    `SELECT o.idempotency_key AS key, o.status, regexp_replace(o.failure_reason, 'available \\d+', 'available N') AS failure_reason, o.total_cents,
            s.status AS saga_status, regexp_replace(s.failure_reason, 'available \\d+', 'available N') AS saga_reason,
            (SELECT jsonb_agg(jsonb_build_object('name', x->>'name', 'status', x->>'status', 'attempts', x->'attempts', 'compensations', x->'compensationAttempts') ORDER BY n)
               FROM jsonb_array_elements(s.steps) WITH ORDINALITY AS e(x, n)) AS steps,
            (SELECT string_agg(coalesce(h.step, 'saga') || ':' || coalesce(h.from_status, '') || '>' || h.to_status, ' ' ORDER BY h.seq)
               FROM saga_history h WHERE h.saga_id = s.id) AS history,
            (SELECT p.status || ' ' || p.amount_cents FROM payments p WHERE p.order_id = o.id) AS payment,
            (SELECT sh.status FROM shipments sh WHERE sh.order_id = o.id) AS shipment,
            (SELECT r.status FROM inventory_reservations r WHERE r.order_id = o.id) AS reservation
     FROM orders o JOIN saga_instance s ON s.id = o.saga_id
     WHERE o.idempotency_key IS NOT NULL ORDER BY o.idempotency_key`,
  );
  const details = await sql<{ key: string; history: string }>(
    `SELECT o.idempotency_key AS key,
            (SELECT string_agg(h.seq || ' ' || coalesce(h.step, 'saga') || ':' || coalesce(h.from_status, '') || '>' || h.to_status
                               || coalesce(' (' || h.reason || ')', ''), E'\n' ORDER BY h.seq)
               FROM saga_history h WHERE h.saga_id = o.saga_id) AS history
     FROM orders o WHERE o.idempotency_key IS NOT NULL`,
  );
  const detail = Object.fromEntries(details.map((d) => [d.key, d.history]));
  const stock = await sql(`SELECT sku, available, reserved FROM inventory_products ORDER BY sku`);
  const [counts] = await sql(
    `SELECT (SELECT count(*)::int FROM orders) AS orders, (SELECT count(*)::int FROM saga_instance) AS sagas,
            (SELECT count(*)::int FROM saga_history) AS history, (SELECT count(*)::int FROM payments) AS payments,
            (SELECT count(*)::int FROM shipments) AS shipments, (SELECT count(*)::int FROM inventory_reservations) AS reservations`,
  );
  return { state: state as Run['state'], detail, stock, counts };
}

/**
 * Lets every saga end. All but the tok_timeout ones end by themselves; once they have, the saga clock jumps a step
 * timeout at a time, and the timeout job retries the silent payments and then compensates them.
 */
async function settle(t: TestApp, sql: Sql, placed: Run['placed']): Promise<void> {
  const silent = placed.filter((p) => p.mode === 'timeout' && p.orderId).map((p) => p.orderId as string);
  const others = await sql<{ saga_id: string }>(`SELECT saga_id FROM orders WHERE saga_id IS NOT NULL AND id <> ALL($1::uuid[])`, [silent]);
  await waitSettled(
    sql,
    90_000,
    others.map((o) => o.saga_id),
  );
  for (let jump = 0; jump < 20; jump++) {
    const [{ active }] = await sql<{ active: number }>(
      `SELECT count(*)::int AS active FROM saga_instance WHERE status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED')`,
    );
    if (active === 0) break;
    t.clock.advance(STEP_TIMEOUT_MS);
    // The job runs every 100 ms; a retry waits out a backoff of at most 200 ms first.
    await sleep(400);
  }
  await waitSettled(sql, 30_000);
}

async function run(kind: DatabaseKind, duplicate: boolean, apps: TestApp[]): Promise<Run> {
  const t = await startTestApp(kind, {
    seedStock: SEED_STOCK,
    saga: { stepTimeoutMs: STEP_TIMEOUT_MS, backoffBaseMs: 50, backoffMaxMs: 200, maxAttempts: 3 },
    imports: [FaultInjectionModule.forRoot({ duplicateDelivery: duplicate })],
  });
  apps.push(t);
  await t.app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  const client = new OrderClient(() => [url]);
  await runPool(orders, 8, async (o) => void (await client.place(o)));
  const sql = sqlOf(t.dataSource);
  const placed = [...client.placed.values()];
  await settle(t, sql, placed);
  const invariants = await checkInvariants(sql, { seedStock: SEED_STOCK, orders: placed, outcomeByMode: true });
  return {
    ...(await snapshot(sql)),
    app: t,
    url,
    placed,
    duplicates: t.app.get(FaultInjection, { strict: false }).duplicateStats,
    violations: invariants.violations,
    problems: client.problems,
  };
}

describe.each(databaseKinds())('duplicate delivery: %s', (kind) => {
  const apps: TestApp[] = [];
  let once: Run;
  let twice: Run;

  beforeAll(async () => {
    once = await run(kind, false, apps);
    await once.app.close();
    apps.length = 0;
    twice = await run(kind, true, apps);
  }, 240_000);

  afterAll(async () => {
    for (const t of apps) await t.close();
  });

  it('every command and every outcome event delivered twice: the same final state as delivered once', () => {
    report(`duplicates (${kind})`, { orders: orders.length, duplicated: twice.duplicates, counts: twice.counts });
    expect(once.duplicates).toBeNull();
    // Every saga step's command and reply was doubled: at least 3 commands and 3 events per order.
    expect(twice.duplicates?.commands).toBeGreaterThanOrEqual(orders.length * 3);
    expect(twice.duplicates?.events).toBeGreaterThanOrEqual(orders.length * 3);
    expect(once.problems).toEqual([]);
    expect(twice.problems).toEqual([]);
    expect(once.violations).toEqual([]);
    expect(twice.violations).toEqual([]);
    const differing = twice.state.filter((row, i) => !isDeepStrictEqual(row, once.state[i])).map((row) => row.key);
    for (const key of differing) console.error(`${key} once:\n${once.detail[key]}\n${key} twice:\n${twice.detail[key]}`);
    expect(twice.state).toEqual(once.state);
    expect(twice.stock).toEqual(once.stock);
    expect(twice.counts).toEqual(once.counts);
  });

  it('a PlaceOrderCommand delivered twice creates one order, also when the request carried no Idempotency-Key', async () => {
    const sql = sqlOf(twice.app.dataSource);
    const client = new OrderClient(() => [twice.url]);
    for (let i = 0; i < KEYLESS; i++) {
      const res = await fetch(`${twice.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(orderRequest({ customerId: `keyless-${i}` })),
      });
      client.inspect('POST /orders (no key)', res.status, await res.text());
      expect(res.status).toBe(201);
    }
    await waitSettled(sql, 60_000);
    const [{ keyless }] = await sql<{ keyless: number }>(`SELECT count(*)::int AS keyless FROM orders WHERE idempotency_key IS NULL`);
    const invariants = await checkInvariants(sql, {
      seedStock: SEED_STOCK,
      orders: twice.placed,
      outcomeByMode: true,
      extraOrders: keyless,
    });
    expect(client.problems).toEqual([]);
    expect(invariants.violations).toEqual([]);
    expect(keyless).toBe(KEYLESS);
  }, 90_000);
});
