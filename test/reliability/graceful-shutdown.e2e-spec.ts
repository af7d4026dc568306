import { afterAll, describe, expect, it } from '@jest/globals';
import { type AppExit, killAllAppProcesses, startAppProcess } from '../support/app-process';
import { postgresKinds } from '../support/test-database';
import { OrderClient } from './support/client';
import { FAST_SAGAS, openWorkspace, report, type Workspace } from './support/harness';
import { checkInvariants, waitSettled } from './support/invariants';
import { orderMix, runPool, sleep, within } from './support/orders';

/*
 * SIGTERM (a deploy, a scale-down): the app stops claiming sagas, lets the handlers already running finish, and
 * exits 0 within a bound. Whatever it leaves mid-way is resumable: after a restart every saga settles.
 */

const SEED_STOCK = 600;
const GRACE_MS = 5_000;

// Registered only when real PostgreSQL is available (always in CI): it runs the built app against it.
for (const kind of postgresKinds())
  describe(`graceful shutdown (built app, ${kind})`, () => {
    let ws: Workspace | undefined;

    afterAll(async () => {
      await killAllAppProcesses();
      await ws?.close();
    }, 60_000);

    it('SIGTERM under load: the timeout job stops, in-flight handlers finish, exit 0 within the bound; after a restart every saga settles', async () => {
      ws = await openWorkspace();
      const sql = ws.sql;
      const env = { ...FAST_SAGAS, DATABASE_URL: ws.url, SEED_STOCK: String(SEED_STOCK), SHUTDOWN_GRACE_MS: String(GRACE_MS) };
      let app = await startAppProcess({ name: 'shutdown', env });
      const port = app.port;
      // 503 is what a draining instance answers new requests; the client retries with its key.
      const client = new OrderClient(() => [app.url], { retryStatuses: [503] });
      const orders = orderMix(200, { prefix: 'sd', seed: 7, overstockQuantity: 1000 });
      const load = runPool(orders, 16, async (o) => void (await client.place(o)));

      while (client.acceptedCount < 80) await sleep(10);
      const before = app.output().length;
      const termAt = Date.now();
      app.child.kill('SIGTERM');
      const exit = await within(app.exited, GRACE_MS + 15_000);
      const stoppedAt = await app.waitForOutput(/timeout job stopped/, 1).catch(() => 0);
      const during = app.output().slice(before);
      const inFlightAtStop = Number(/timeout job stopped; (\d+) command/.exec(during)?.[1] ?? -1);
      const drainedIn = Number(/drained in (\d+) ms/.exec(during)?.[1] ?? -1);

      // The job is the only writer of timeouts, retries and lease resumptions: none after it stopped.
      const [jobAfterStop] = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM saga_history
       WHERE at > to_timestamp($1::double precision / 1000) AND (reason LIKE '%timed out%' OR reason LIKE 'retry:%' OR reason LIKE 'resumed by%')`,
        [stoppedAt || termAt],
      );
      const activeAtExit = (
        await sql<{ n: number }>(`SELECT count(*)::int AS n FROM saga_instance WHERE status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED')`)
      )[0].n;

      app = await startAppProcess({ name: 'shutdown', env, port });
      await load;
      const settleMs = await waitSettled(sql, 90_000);
      const placed = [...client.placed.values()];
      const invariants = await checkInvariants(sql, { seedStock: SEED_STOCK, orders: placed, outcomeByMode: true });

      // An idle app shuts down at once.
      const idleTermAt = Date.now();
      app.child.kill('SIGTERM');
      const idleExit = await within(app.exited, GRACE_MS + 15_000);

      report('graceful shutdown', {
        exit,
        exitAfterSigtermMs: exit ? exit.at - termAt : null,
        inFlightAtStop,
        drainedInMs: drainedIn,
        activeSagasLeft: activeAtExit,
        settleAfterRestartMs: settleMs,
        idleExitMs: idleExit ? idleExit.at - idleTermAt : null,
        requests: client.statuses,
      });

      expect(exit).toMatchObject({ code: 0, signal: null });
      expect((exit as AppExit).at - termAt).toBeLessThan(GRACE_MS + 5_000);
      expect(during).toMatch(/timeout job stopped/);
      expect(drainedIn).toBeGreaterThanOrEqual(0);
      expect(drainedIn).toBeLessThan(GRACE_MS);
      expect(jobAfterStop.n).toBe(0);
      // Nothing was cut off mid-way: no handler or saga update met a closed pool or an unsubscribed bus.
      expect(during).not.toMatch(
        /Cannot use a pool|DataSource is not initialized|Query runner already released|Connection terminated|ECONNREFUSED|has thrown an unhandled exception|event handling failed/,
      );
      expect(client.problems).toEqual([]);
      expect(invariants.violations).toEqual([]);
      expect(idleExit).toMatchObject({ code: 0, signal: null });
      expect((idleExit as AppExit).at - idleTermAt).toBeLessThan(5_000);
    }, 240_000);
  });
