import type { Mode } from './orders';
import { sleep } from './orders';

/** Runs SQL and returns rows: a `pg` pool, or an in-process app's DataSource. */
export type Sql = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

export function sqlOf(runner: { query: (text: string, params?: unknown[]) => Promise<unknown> }): Sql {
  return async <T>(text: string, params?: unknown[]) => {
    const result = (await runner.query(text, params)) as { rows?: T[] } | T[];
    return Array.isArray(result) ? result : (result.rows ?? []);
  };
}

export interface ExpectedOrder {
  key: string;
  mode: Mode;
  orderId: string | null;
}

export interface InvariantOptions {
  /** Units each SKU was seeded with. */
  seedStock: number;
  /** Every order a client placed (by key). The database must hold exactly these orders, no more. */
  orders: ExpectedOrder[];
  /**
   * Also require each mode's own outcome (visa -> CONFIRMED, the others -> CANCELLED for their reason). Off when
   * the outcome depends on who wins a race (stock contention).
   */
  outcomeByMode?: boolean;
  /** Orders placed without an Idempotency-Key are allowed on top of `orders`. */
  extraOrders?: number;
}

export interface InvariantReport {
  violations: string[];
  summary: Record<string, number>;
}

const REASON_BY_MODE: Record<Exclude<Mode, 'visa'>, RegExp> = {
  declined: /^processPayment failed: card declined/,
  timeout: /^processPayment failed: processPayment timed out after \d+ attempts?/,
  aq: /^createShipment failed: cannot ship to AQ/,
  overstock: /^reserveInventory failed: insufficient stock/,
  unreviewed: /^fraudReview failed: fraudReview timed out after .+ without the signal "fraudReview"$/,
};

interface OrderRow {
  id: string;
  idempotency_key: string | null;
  status: string;
  failure_reason: string | null;
  total_cents: number;
  items: { sku: string; quantity: number }[];
  saga_status: string | null;
  saga_reason: string | null;
}

/**
 * DESIGN.md section 3, checked on the final state: every saga terminal, every order settled, stock and money
 * conserved, effects unique, outcomes consistent across modules. Returns every violation, not just the first.
 */
export async function checkInvariants(sql: Sql, options: InvariantOptions): Promise<InvariantReport> {
  const v: string[] = [];
  const summary: Record<string, number> = {};
  const bump = (k: string) => (summary[k] = (summary[k] ?? 0) + 1);

  // 1. Sagas (and return flows): all terminal; none FAILED here (our compensations cannot fail for good).
  const all = await sql<{ id: string; type: string; status: string; current_step: string | null; failure_reason: string | null }>(
    `SELECT id, type, status, current_step, failure_reason FROM saga_instance`,
  );
  const sagas = all.filter((s) => s.type !== 'order-return');
  for (const s of all) {
    if (!['COMPLETED', 'COMPENSATED'].includes(s.status))
      v.push(`saga ${s.id} is ${s.status} at ${s.current_step} (${s.failure_reason ?? 'no reason'})`);
  }

  // 2. Orders: exactly the ones placed, one per key, each settled and agreeing with its saga.
  const orders = await sql<OrderRow>(
    `SELECT o.id, o.idempotency_key, o.status, o.failure_reason, o.total_cents, o.items, s.status AS saga_status, s.failure_reason AS saga_reason
     FROM orders o LEFT JOIN saga_instance s ON s.id = o.saga_id`,
  );
  const byKey = new Map(orders.filter((o) => o.idempotency_key).map((o) => [o.idempotency_key as string, o]));
  const expectedCount = options.orders.length + (options.extraOrders ?? 0);
  if (orders.length !== expectedCount) v.push(`${orders.length} orders stored, ${expectedCount} placed`);
  if (sagas.length !== orders.length) v.push(`${sagas.length} sagas for ${orders.length} orders`);
  for (const e of options.orders) {
    const o = byKey.get(e.key);
    if (!o) {
      v.push(`order ${e.key} (${e.mode}) is missing`);
      continue;
    }
    if (e.orderId && o.id !== e.orderId) v.push(`order ${e.key}: stored ${o.id}, the client was told ${e.orderId}`);
    bump(`${e.mode}:${o.status}`);
    if (options.outcomeByMode) {
      const want = e.mode === 'visa' ? 'CONFIRMED' : 'CANCELLED';
      if (o.status !== want) v.push(`order ${e.key} (${e.mode}) is ${o.status} (${o.failure_reason ?? ''}), expected ${want}`);
      else if (e.mode !== 'visa' && !REASON_BY_MODE[e.mode].test(o.failure_reason ?? ''))
        v.push(`order ${e.key} (${e.mode}) cancelled for "${o.failure_reason}"`);
    }
  }
  for (const o of orders) {
    if (o.status === 'PENDING') v.push(`order ${o.id} is still PENDING (saga ${o.saga_status})`);
    if (o.status === 'CONFIRMED' && o.saga_status !== 'COMPLETED') v.push(`order ${o.id} CONFIRMED but its saga is ${o.saga_status}`);
    if (o.status === 'CANCELLED' && o.saga_status !== 'COMPENSATED') v.push(`order ${o.id} CANCELLED but its saga is ${o.saga_status}`);
    if (o.status === 'CANCELLED' && !o.failure_reason) v.push(`order ${o.id} CANCELLED without a reason`);
  }

  // 3. Effects: at most one row per order in each module, live effects exactly for confirmed orders.
  for (const table of ['payments', 'shipments', 'inventory_reservations']) {
    const dup = await sql<{ order_id: string; n: number }>(
      `SELECT order_id, count(*)::int AS n FROM ${table} GROUP BY order_id HAVING count(*) > 1`,
    );
    for (const d of dup) v.push(`${table}: ${d.n} rows for order ${d.order_id}`);
  }
  const effects = await sql<{
    id: string;
    status: string;
    total_cents: number;
    charged: number;
    charged_cents: number;
    created: number;
    reservation: string | null;
  }>(
    `SELECT o.id, o.status, o.total_cents,
            (SELECT count(*)::int FROM payments p WHERE p.order_id = o.id AND p.status = 'CHARGED') AS charged,
            (SELECT coalesce(sum(amount_cents), 0)::int FROM payments p WHERE p.order_id = o.id AND p.status = 'CHARGED') AS charged_cents,
            (SELECT count(*)::int FROM shipments s WHERE s.order_id = o.id AND s.status = 'CREATED') AS created,
            (SELECT r.status FROM inventory_reservations r WHERE r.order_id = o.id) AS reservation
     FROM orders o`,
  );
  for (const e of effects) {
    if (e.status === 'CONFIRMED') {
      if (e.charged !== 1 || e.charged_cents !== e.total_cents)
        v.push(`confirmed order ${e.id}: ${e.charged} CHARGED payment(s) for ${e.charged_cents} of ${e.total_cents} cents`);
      if (e.created !== 1) v.push(`confirmed order ${e.id}: ${e.created} CREATED shipment(s)`);
      if (e.reservation !== 'RESERVED') v.push(`confirmed order ${e.id}: reservation ${e.reservation}`);
    } else if (e.status === 'CANCELLED') {
      if (e.charged !== 0) v.push(`cancelled order ${e.id}: ${e.charged} CHARGED payment(s)`);
      if (e.created !== 0) v.push(`cancelled order ${e.id}: ${e.created} CREATED shipment(s)`);
      if (e.reservation === 'RESERVED') v.push(`cancelled order ${e.id}: stock still RESERVED`);
    }
  }
  // bigint sums come back as strings from `pg`: compared as numbers.
  const [money] = await sql<{ charged: string | number; confirmed: string | number }>(
    `SELECT (SELECT coalesce(sum(amount_cents), 0) FROM payments WHERE status = 'CHARGED') AS charged,
            (SELECT coalesce(sum(total_cents), 0) FROM orders WHERE status = 'CONFIRMED') AS confirmed`,
  );
  if (Number(money.charged) !== Number(money.confirmed))
    v.push(`money: ${money.charged} cents charged, confirmed orders total ${money.confirmed}`);

  // 4. Stock, per SKU: seed = available + reserved; reserved = RESERVED reservations = units sold to confirmed orders.
  const stock = await sql<{ sku: string; available: number; reserved: number; held: number; sold: number }>(
    `SELECT p.sku, p.available, p.reserved,
            (SELECT coalesce(sum((x->>'quantity')::int), 0)::int FROM inventory_reservations r, jsonb_array_elements(r.items) x
              WHERE r.status = 'RESERVED' AND x->>'sku' = p.sku) AS held,
            (SELECT coalesce(sum((x->>'quantity')::int), 0)::int FROM orders o, jsonb_array_elements(o.items) x
              WHERE o.status = 'CONFIRMED' AND x->>'sku' = p.sku) AS sold
     FROM inventory_products p ORDER BY p.sku`,
  );
  for (const s of stock) {
    summary[`sold:${s.sku}`] = s.sold;
    if (s.available < 0 || s.reserved < 0) v.push(`${s.sku}: negative stock (available ${s.available}, reserved ${s.reserved})`);
    if (s.available + s.reserved !== options.seedStock)
      v.push(`${s.sku}: available ${s.available} + reserved ${s.reserved} != initial ${options.seedStock}`);
    if (s.reserved !== s.held) v.push(`${s.sku}: reserved ${s.reserved} but RESERVED reservations hold ${s.held}`);
    if (s.reserved !== s.sold) v.push(`${s.sku}: reserved ${s.reserved} but confirmed orders bought ${s.sold}`);
  }

  // 5. Each transition applied once: no step completed or compensated twice in any saga's history.
  const twice = await sql<{ saga_id: string; step: string; to_status: string; n: number }>(
    `SELECT saga_id, step, to_status, count(*)::int AS n FROM saga_history
     WHERE step IS NOT NULL AND to_status IN ('COMPLETED', 'COMPENSATED') GROUP BY 1, 2, 3 HAVING count(*) > 1`,
  );
  for (const t of twice) v.push(`saga ${t.saga_id}: step ${t.step} reached ${t.to_status} ${t.n} times`);

  summary.orders = orders.length;
  summary.confirmed = orders.filter((o) => o.status === 'CONFIRMED').length;
  summary.cancelled = orders.filter((o) => o.status === 'CANCELLED').length;
  return { violations: v, summary };
}

/** Sagas not yet terminal, with what they wait on (for messages). */
export async function activeSagas(
  sql: Sql,
): Promise<{ id: string; status: string; current_step: string; due_at: string; lease_owner: string; lease_until: string }[]> {
  return sql(
    `SELECT id, status, current_step, due_at, lease_owner, lease_until FROM saga_instance WHERE status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED')`,
  );
}

/**
 * Waits until every saga is terminal and no order is PENDING; resolves with the time that took. `ids` narrows
 * the wait to those sagas. Database errors count as "not yet" (a suite may call it while the database recovers).
 */
export async function waitSettled(sql: Sql, timeoutMs: number, ids?: string[]): Promise<number> {
  const start = Date.now();
  let last = 'never read';
  while (Date.now() - start < timeoutMs) {
    try {
      const [row] = ids
        ? await sql<{ active: number; pending: number }>(
            `SELECT (SELECT count(*)::int FROM saga_instance WHERE id = ANY($1::uuid[]) AND status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED')) AS active, 0 AS pending`,
            [ids],
          )
        : await sql<{ active: number; pending: number }>(
            `SELECT (SELECT count(*)::int FROM saga_instance WHERE status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED')) AS active,
                    (SELECT count(*)::int FROM orders WHERE status = 'PENDING') AS pending`,
          );
      if (row.active === 0 && row.pending === 0) return Date.now() - start;
      last = `${row.active} active saga(s), ${row.pending} pending order(s)`;
    } catch (error) {
      last = `database error: ${(error as Error).message}`;
    }
    await sleep(50);
  }
  let detail = '';
  try {
    detail = JSON.stringify((await activeSagas(sql)).slice(0, 10));
  } catch {
    // the database is down; `last` says so
  }
  throw new Error(`not settled within ${timeoutMs} ms: ${last} ${detail}`);
}
