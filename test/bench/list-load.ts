import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SqlRunner } from 'sagaworks';
import type { BenchApp } from './bench-app';
import { latencySummary, orderInput } from './load';

/*
 * Issue 14's load: many concurrent GET /sagas?limit=100 must not starve the pool. The ready probe and POST
 * /orders run beside the list load and are measured; shared by the bench (--list-load) and
 * test/security/list-load.e2e-spec.ts, which asserts on what this returns.
 */

export interface ListLoadOptions {
  /** List requests in all. */
  lists: number;
  /** List requests in flight at once. */
  concurrency: number;
  /** Page size asked for. */
  limit: number;
  /** How often /health/ready is probed while the lists run. */
  probeEveryMs: number;
  /** Headers every request carries (a read token, say). */
  headers?: Record<string, string>;
}

export interface ListLoadResult {
  wallMs: number;
  lists: {
    total: number;
    statuses: Record<string, number>;
    maxItems: number;
    maxBytes: number;
    latencyMs: ReturnType<typeof latencySummary>;
  };
  ready: { ok: number; total: number; statuses: Record<string, number> };
  orders: { placed: number; statuses: Record<string, number>; latencyMs: ReturnType<typeof latencySummary> };
}

const count = (into: Record<string, number>, key: number): void => {
  into[key] = (into[key] ?? 0) + 1;
};

/**
 * Clones the finished sagas already in the database (and their history) until there are `total`, with fresh ids
 * and correlation ids and creation times spread a second apart: rows as big as real ones, in a statement each
 * rather than an order each. The clones are ended sagas (wake_at NULL), so the timeout job never looks at them.
 */
export async function cloneFinishedSagas(db: SqlRunner, total: number): Promise<number> {
  const [{ n }] = await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM saga_instance`);
  if (n >= total) return n;
  await db.query(
    `WITH src AS (
       SELECT s.*, row_number() OVER (ORDER BY s.id) AS k, count(*) OVER () AS m FROM saga_instance s
       WHERE s.status IN ('COMPLETED', 'COMPENSATED')
     ), g AS (
       SELECT i, gen_random_uuid() AS new_id FROM generate_series(1, $1::int) AS i
     ), ins AS (
       INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, failure_reason, due_at,
         lease_owner, lease_until, wake_at, version, history_seq, definition_hash, created_at, updated_at)
       SELECT g.new_id, src.type, 'clone-' || src.id || '-' || g.i, src.status, src.step_index, src.current_step, src.steps, src.data,
         src.failure_reason, NULL, NULL, NULL, NULL, src.version, src.history_seq, src.definition_hash,
         now() - interval '1 day' + g.i * interval '1 second', now() - interval '1 day' + g.i * interval '1 second'
       FROM g JOIN src ON src.k = 1 + (g.i % src.m)
       RETURNING 1
     )
     SELECT count(*) FROM ins`,
    [total - n],
  );
  // Each clone gets its original's history (its id is in the clone's correlation id), so GET /sagas/:id is real.
  await db.query(
    `INSERT INTO saga_history (saga_id, seq, step, from_status, to_status, reason, at)
     SELECT c.id, h.seq, h.step, h.from_status, h.to_status, h.reason, c.created_at
     FROM saga_instance c JOIN saga_history h ON h.saga_id = substring(c.correlation_id FROM 7 FOR 36)::uuid
     WHERE c.correlation_id LIKE 'clone-%'
     ON CONFLICT DO NOTHING`,
  );
  const [{ n: after }] = await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM saga_instance`);
  return after;
}

async function timed(url: string, init: RequestInit): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  try {
    const res = await fetch(url, init);
    const body = await res.text();
    return { status: res.status, ms: performance.now() - started, body };
  } catch {
    return { status: 0, ms: performance.now() - started, body: '' };
  }
}

/**
 * Runs `lists` GET /sagas?limit=… at `concurrency` in flight; meanwhile probes /health/ready every `probeEveryMs`
 * and places orders one after another (a customer's checkout beside the operators' dashboards). Stops probing and
 * ordering when the last list has answered.
 */
export async function runListLoad(baseUrl: string, options: ListLoadOptions): Promise<ListLoadResult> {
  const headers = options.headers ?? {};
  const listLatencies: number[] = [];
  const lists: ListLoadResult['lists'] = {
    total: 0,
    statuses: {},
    maxItems: 0,
    maxBytes: 0,
    latencyMs: latencySummary(new Float64Array()),
  };
  const ready: ListLoadResult['ready'] = { ok: 0, total: 0, statuses: {} };
  const orderLatencies: number[] = [];
  const orders: ListLoadResult['orders'] = { placed: 0, statuses: {}, latencyMs: latencySummary(new Float64Array()) };
  let done = false;
  const started = performance.now();

  const probe = async (): Promise<void> => {
    while (!done) {
      const next = performance.now() + options.probeEveryMs;
      const res = await timed(`${baseUrl}/health/ready`, {});
      ready.total++;
      if (res.status === 200) ready.ok++;
      count(ready.statuses, res.status);
      await sleep(Math.max(0, next - performance.now()));
    }
  };
  const order = async (): Promise<void> => {
    for (let i = 0; !done; i++) {
      const res = await timed(`${baseUrl}/orders`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(orderInput(i, 'happy')),
      });
      orders.placed++;
      count(orders.statuses, res.status);
      orderLatencies.push(res.ms);
    }
  };
  let nextList = 0;
  const lister = async (): Promise<void> => {
    while (nextList < options.lists) {
      nextList++;
      const res = await timed(`${baseUrl}/sagas?limit=${options.limit}`, { headers });
      lists.total++;
      count(lists.statuses, res.status);
      listLatencies.push(res.ms);
      lists.maxBytes = Math.max(lists.maxBytes, Buffer.byteLength(res.body));
      if (res.status === 200) lists.maxItems = Math.max(lists.maxItems, (JSON.parse(res.body) as { items: unknown[] }).items.length);
    }
  };

  const side = [probe(), order()];
  await Promise.all(Array.from({ length: options.concurrency }, lister));
  const wallMs = performance.now() - started;
  done = true;
  await Promise.all(side);
  lists.latencyMs = latencySummary(Float64Array.from(listLatencies));
  orders.latencyMs = latencySummary(Float64Array.from(orderLatencies));
  return { wallMs: Math.round(wallMs), lists, ready, orders };
}

/** `npm run bench -- --list-load`: real sagas, cloned to 2,000, then the list load; the figures as JSON. */
export async function listLoadBench(app: BenchApp): Promise<Record<string, unknown>> {
  const baseUrl = app.baseUrl;
  if (!baseUrl) throw new Error('the list load needs the app on a port');
  let next = 0;
  const place = async (): Promise<void> => {
    while (next < 200) {
      const i = next++;
      const res = await fetch(`${baseUrl}/orders`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(orderInput(i, 'mix')),
      });
      await res.text();
    }
  };
  await Promise.all(Array.from({ length: 16 }, place));
  const deadline = Date.now() + 120_000;
  const inFlight = async (): Promise<number> =>
    (
      await app.dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM saga_instance WHERE status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED')`,
      )
    )[0].n;
  while ((await inFlight()) > 0 && Date.now() < deadline) await sleep(100);
  const sagas = await cloneFinishedSagas(app.dataSource, 2_000);
  await app.dataSource.query('ANALYZE saga_instance');
  const result = await runListLoad(baseUrl, { lists: 300, concurrency: 50, limit: 100, probeEveryMs: 100 });
  return {
    sagas,
    method:
      '300 GET /sagas?limit=100, 50 in flight, over loopback; /health/ready probed every 100 ms and POST /orders placed one after another meanwhile',
    wallMs: result.wallMs,
    readyProbes: { ok: result.ready.ok, total: result.ready.total },
    listMs: { p50: result.lists.latencyMs.p50, p99: result.lists.latencyMs.p99 },
    listStatuses: result.lists.statuses,
    listMaxBytes: result.lists.maxBytes,
    postOrdersMs: { p50: result.orders.latencyMs.p50, p99: result.orders.latencyMs.p99 },
    ordersPlaced: result.orders.placed,
  };
}
