import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startTestApp, type TestApp } from '../support/test-app';
import { postgresKinds } from '../support/test-database';
import { OrderClient } from './support/client';
import { parseSamples } from '../observability/prometheus-text';
import { report } from './support/harness';
import { checkInvariants, type Sql, sqlOf, waitSettled } from './support/invariants';
import { orderMix, runPool, sleep, SKUS } from './support/orders';
import { checkReturns, refusingEveryFourth, ReturnClient, returnModes } from './support/returns';

const SEED_STOCK = 100;
const FAULT_MS = 3_000;

/*
 * Invariant 8: an infrastructure fault never changes a business outcome. The app runs with ONE attempt per step,
 * so a single fault counted as a failed attempt would cancel a good order. Each scenario changes the database's
 * settings for new sessions, terminates the app's sessions (they reopen under the fault, as after a failover),
 * lifts the fault after a few seconds, and then checks every invariant of DESIGN.md section 3, that no good order
 * was cancelled, that no saga ended FAILED, and that the fault really reached the saga steps.
 */
for (const kind of postgresKinds())
  describe(`infrastructure faults under load, one attempt per step (in-process app, ${kind})`, () => {
    let t: TestApp;
    let url: string;
    let admin: pg.Client;
    let sql: Sql;
    let database: string;

    // The app's own sessions only (TypeORM names them), as a failover or a proxy restart would end them.
    const terminateAppSessions = () =>
      admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'sagaworks'`, [
        database,
      ]);

    /** Holds every product row locked, as a long transaction elsewhere would, until the returned release. */
    async function lockProducts(): Promise<() => Promise<void>> {
      const locker = new pg.Client({ connectionString: t.db.target.url });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM inventory_products WHERE sku = ANY($1) FOR UPDATE', [SKUS]);
      return async () => {
        await locker.query('ROLLBACK');
        await locker.end();
      };
    }

    beforeAll(async () => {
      t = await startTestApp(kind, {
        seedStock: SEED_STOCK,
        saga: { maxAttempts: 1, stepTimeoutMs: 30_000, backoffBaseMs: 50, backoffMaxMs: 200 },
      });
      await t.app.listen(0, '127.0.0.1');
      url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
      admin = new pg.Client({ connectionString: t.db.target.url });
      await admin.connect();
      database = new URL(t.db.target.url!).pathname.slice(1);
      sql = sqlOf(t.dataSource);
    });

    afterAll(async () => {
      await admin?.query(`ALTER DATABASE ${database} RESET ALL`).catch(() => undefined);
      await admin?.end();
      await t?.close();
    });

    /** Load for FAULT_MS with the fault on (`start` before the load, `midway` one second in), then `stop`. */
    async function underFault(
      name: string,
      seed: number,
      fault: { start: () => Promise<void>; midway?: () => Promise<void>; stop: () => Promise<void> },
    ): Promise<void> {
      const before = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM orders`))[0].n;
      const metricsBefore = await faultMetrics();
      const [{ since }] = await sql<{ since: Date }>(`SELECT now() AS since`);
      const orders = orderMix(40, { prefix: name, seed, overstockQuantity: 500, weights: { timeout: 0 } });
      // A 503 is the app saying "retry": the client does, with the same Idempotency-Key.
      const client = new OrderClient(() => [url], { retryStatuses: [503] });
      await fault.start();
      const placing = runPool(orders, 8, async (o) => void (await client.place(o)));
      await sleep(1_000);
      await fault.midway?.();
      await sleep(FAULT_MS);
      await fault.stop();
      await placing;
      const placed = [...client.placed.values()];
      await waitSettled(sql, 90_000);
      const invariants = await checkInvariants(sql, { seedStock: SEED_STOCK, orders: placed, outcomeByMode: true, extraOrders: before });
      const [{ failed }] = await sql<{ failed: number }>(`SELECT count(*)::int AS failed FROM saga_instance WHERE status = 'FAILED'`);
      const [{ waits }] = await sql<{ waits: number }>(
        `SELECT count(*)::int AS waits FROM saga_history WHERE reason LIKE '%waits on infrastructure%' AND at > $1`,
        [since],
      );
      const metricsAfter = await faultMetrics();
      const metricWaits = metricsAfter.waits - metricsBefore.waits;
      const fromMemory = metricsAfter.fromMemory - metricsBefore.fromMemory;
      report(`db fault: ${name}`, {
        orders: placed.length,
        statuses: client.statuses,
        waits,
        metricWaits,
        fromMemory,
        failed,
        summary: invariants.summary,
      });
      expect(client.problems).toEqual([]);
      expect(invariants.violations).toEqual([]);
      expect(failed).toBe(0);
      // The fault reached the steps (or this run proved nothing): recorded as waits, or, where the database could
      // not record even that (read-only), sent again from memory. The metrics show both.
      expect(waits + fromMemory).toBeGreaterThan(0);
      expect(metricWaits).toBe(waits);
    }

    /** `saga_infrastructure_waits_total` summed over steps, and `saga_redeliveries_from_memory_total`. */
    async function faultMetrics(): Promise<{ waits: number; fromMemory: number }> {
      const samples = parseSamples(await (await fetch(`${url}/metrics`)).text());
      const sum = (name: string) => samples.filter((s) => s.name === name).reduce((total, s) => total + s.value, 0);
      return { waits: sum('saga_infrastructure_waits_total'), fromMemory: sum('saga_redeliveries_from_memory_total') };
    }

    it('when a row lock outlasts a 50 ms statement_timeout, no good order is cancelled and no saga ends FAILED', async () => {
      let release: () => Promise<void> = () => Promise.resolve();
      await underFault('lock-timeout', 11, {
        start: async () => {
          await admin.query(`ALTER DATABASE ${database} SET statement_timeout = '50ms'`);
          // Sessions reopen under the new setting, as after a failover.
          await terminateAppSessions();
          release = await lockProducts();
        },
        stop: async () => {
          await release();
          await admin.query(`ALTER DATABASE ${database} RESET statement_timeout`);
        },
      });
    });

    it('when the sessions are killed and the database stays read-only for seconds, no good order is cancelled and no saga ends FAILED', async () => {
      let release: () => Promise<void> = () => Promise.resolve();
      await underFault('read-only', 12, {
        // The steps queue on the locked rows, so sagas are in flight when the fault comes.
        start: async () => {
          release = await lockProducts();
        },
        midway: async () => {
          await admin.query(`ALTER DATABASE ${database} SET default_transaction_read_only = on`);
          await terminateAppSessions();
        },
        stop: async () => {
          await admin.query(`ALTER DATABASE ${database} RESET default_transaction_read_only`);
          await release();
        },
      });
    });

    it('when the database is read-only for seconds mid-way through returns, every return ends as its card says and no flow stalls', async () => {
      const before = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM orders`))[0].n;
      const orders = orderMix(24, {
        prefix: 'returns',
        seed: 13,
        overstockQuantity: 500,
        weights: { visa: 1, declined: 0, timeout: 0, aq: 0, overstock: 0 },
      });
      refusingEveryFourth(orders);
      const client = new OrderClient(() => [url], { retryStatuses: [503] });
      await runPool(orders, 8, async (o) => void (await client.place(o)));
      await waitSettled(sql, 30_000);
      const placed = [...client.placed.values()];
      const returner = new ReturnClient(() => url);
      // The refunds queue on locked product rows (the restock), so flows are mid-way when the database turns read-only.
      const release = await lockProducts();
      const returning = returner.returnAll(placed);
      await sleep(500);
      await admin.query(`ALTER DATABASE ${database} SET default_transaction_read_only = on`);
      await terminateAppSessions();
      await release();
      await sleep(FAULT_MS);
      const [{ inFlight }] = await sql<{ inFlight: number }>(
        `SELECT count(*)::int AS "inFlight" FROM saga_instance WHERE type = 'order-return' AND status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED')`,
      ).catch(() => [{ inFlight: -1 }]);
      await admin.query(`ALTER DATABASE ${database} RESET default_transaction_read_only`);
      await returning;
      const settleMs = await waitSettled(sql, 20_000);
      const returns = await checkReturns(sql, returnModes(orders, placed));
      const invariants = await checkInvariants(sql, { seedStock: SEED_STOCK, orders: placed, extraOrders: before });
      const [{ stalled, failed }] = await sql<{ stalled: number; failed: number }>(
        `SELECT (SELECT count(*)::int FROM saga_history h JOIN saga_instance s ON s.id = h.saga_id WHERE s.type = 'order-return' AND h.to_status = 'STALLED') AS stalled,
                (SELECT count(*)::int FROM saga_instance WHERE status = 'FAILED') AS failed`,
      );
      report('db fault: read-only during returns', { returns: placed.length, inFlight, settleMs, stalled, failed });
      expect(returner.problems).toEqual([]);
      expect(returns).toEqual([]);
      expect(invariants.violations).toEqual([]);
      expect(failed).toBe(0);
      // The fault met flows in flight, and they waited it out: none had to be nudged at its 30 s deadline.
      expect(inFlight).toBeGreaterThan(0);
      expect(stalled).toBe(0);
    });
  });
