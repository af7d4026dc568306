import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { SagaClock } from 'sagaworks';
import { startTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase, postgresKinds, type TestDatabase } from '../support/test-database';
import { OrderClient } from './support/client';
import { report } from './support/harness';
import { checkInvariants, sqlOf, waitSettled } from './support/invariants';
import { orderMix, runPool } from './support/orders';
import { failedSagas, historyCounts, respentSteps, sagaIdsOf } from './support/saga-audit';
import { SkewedClock } from './support/skewed-clock';

/*
 * Invariant 6 and 8 with hosts whose clocks disagree: deadlines and leases are written by one instance and read by
 * another, so an instance whose clock is ahead would take every other instance's leases for lapsed (and resume
 * live work), and one whose clock is behind would write deadlines and leases already past for the others. The
 * saga clock is anchored to the database's clock, which makes the skew harmless. Two apps in this process share
 * one PostgreSQL database, each with its own (wrong) host clock, the real timeout job and short saga timings; the
 * skew is far larger than the lease and the step timeout.
 */

const SEED_STOCK = 600;
const ORDERS = 150;
const SKEW_MS = 40_000;
/** Short, so a skew of 40 s is 13 leases and 8 step timeouts; long enough that a live, busy owner renews in time. */
const SAGA = { stepTimeoutMs: 5_000, leaseMs: 3_000, jobIntervalMs: 200, maxAttempts: 3, backoffBaseMs: 50, backoffMaxMs: 200 };

interface Running {
  db: TestDatabase;
  apps: TestApp[];
}

for (const kind of postgresKinds())
  describe(`clocks that disagree by ${SKEW_MS / 1000} s, two in-process apps on one database (${kind})`, () => {
    let running: Running | null = null;

    afterEach(async () => {
      for (const t of running?.apps ?? []) await t.close().catch(() => undefined);
      await running?.db.drop();
      running = null;
    }, 60_000);

    async function underSkew(name: string, skews: [number, number], seed: number): Promise<void> {
      const db = await createTestDatabase(kind);
      running = { db, apps: [] };
      const clocks = skews.map((skew) => new SkewedClock(skew));
      // One after the other: the second finds the schema migrated and the catalog seeded.
      for (const clock of clocks) {
        const t = await startTestApp(kind, {
          database: db,
          seedStock: SEED_STOCK,
          saga: SAGA,
          override: (b) => b.overrideProvider(SagaClock).useValue(clock),
        });
        running.apps.push(t);
        await t.app.listen(0, '127.0.0.1');
      }
      const apps = running.apps;
      const urls = apps.map((t) => `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`);
      const sql = sqlOf(apps[0].dataSource);
      const client = new OrderClient(() => urls, { retryStatuses: [503] });
      // Every mode. The tok_timeout sagas wait out whole step timeouts under their owner's live lease: without the
      // anchor, the instance ahead would take each of them for lapsed at its next pass.
      const orders = orderMix(ORDERS, { prefix: name, seed, overstockQuantity: 1000 });

      const started = Date.now();
      await runPool(orders, 16, async (o) => void (await client.place(o)));
      const loadMs = Date.now() - started;
      const settleMs = await waitSettled(sql, 60_000);

      const placed = [...client.placed.values()];
      const invariants = await checkInvariants(sql, { seedStock: SEED_STOCK, orders: placed, outcomeByMode: true });
      const visaSagas = await sagaIdsOf(
        sql,
        placed.filter((p) => p.mode === 'visa').map((p) => p.key),
      );
      const respent = await respentSteps(sql, visaSagas);
      const history = await historyCounts(sql);
      const ofVisa = await historyCounts(sql, visaSagas);
      const failed = await failedSagas(sql);
      const ownersOfSagas = await sql<{ n: number }>(`SELECT count(DISTINCT lease_owner)::int AS n FROM saga_instance`);
      report(`clock skew: ${name}`, {
        // each host's clock minus the real time, and the offset to the database each app measured (should cancel it)
        hostSkewMs: clocks.map((c) => Math.round(c.hostNow().getTime() - Date.now())),
        measuredOffsetMs: clocks.map((c) => Math.round(c.offsetMs)),
        // what each app's saga clock says minus the real time: near zero once anchored
        sagaClockErrorMs: clocks.map((c) => c.now().getTime() - Date.now()),
        orders: ORDERS,
        // POST /orders answers by status, round-robin over both apps
        requests: client.statuses,
        // takeovers by lease expiry, deadlines that spent an attempt (tok_timeout ones do, by design), infrastructure
        // waits: over all sagas, and over the visa orders' sagas
        history,
        ofVisa,
        // instances that last held a saga's lease (2: both apps did work)
        leaseOwners: ownersOfSagas[0].n,
        visaStepsRespent: respent.length,
        loadMs,
        settleMs,
        outcomes: invariants.summary,
      });

      expect(client.problems).toEqual([]);
      expect(invariants.violations).toEqual([]);
      expect(failed).toBe(0);
      // No saga was taken over while its owner was alive (both are, throughout); no deadline spent a good order's attempt.
      expect(history.resumed).toBe(0);
      expect(ofVisa.timedOut).toBe(0);
      expect(respent).toEqual([]);
      expect(ownersOfSagas[0].n).toBe(2);
    }

    it(`one host ${SKEW_MS / 1000} s ahead, the other ${SKEW_MS / 1000} s behind: ${ORDERS} orders across both, no takeover, no good order's attempt spent`, async () => {
      await underSkew('ahead-and-behind', [SKEW_MS, -SKEW_MS], 31);
    }, 110_000);

    it(`one host ${SKEW_MS / 1000} s ahead, the other right: ${ORDERS} orders across both, no takeover, no good order's attempt spent`, async () => {
      await underSkew('one-ahead', [SKEW_MS, 0], 32);
    }, 110_000);
  });
