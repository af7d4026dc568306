import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SagaClock, type SagaHistoryRow, SagaStatus } from 'sagaworks';
import { postgresKinds } from '../support/test-database';
import { trip } from './trip-data';
import { startTravelApp, type TravelApp } from './travel-app';
import { travelSagaOptions } from './travel-saga.options';
import { TravelModule } from './travel.module';
import { tripSaga } from './trip.saga';
import { waitUntil } from '../support/wait-for';

/*
 * The kit moves the saga clock to the next deadline once the app is quiet. A reply whose transition is still
 * being stored is not quiet: if the kit took it for quiet, it would jump past the step's deadline and the job
 * would retry a step that had succeeded (CI caught this once, on a loaded machine, as a non-idempotent handler's
 * "every event delivered twice" run ending COMPENSATED). A second connection holding saga_history makes the
 * store slow on purpose; PostgreSQL only, since PGlite has a single connection.
 */
for (const kind of postgresKinds())
  describe(`the saga test kit with a slow store, on ${kind}`, () => {
    let t: TravelApp;

    beforeAll(async () => {
      t = await startTravelApp(kind, { sagaConfig: 'static', features: [TravelModule] });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('waits for a reply being stored instead of moving the clock past its deadline', async () => {
      const data = trip();
      // Started in a transaction, so nothing is dispatched until the history table is held.
      const sagaId = await t.dataSource.transaction(
        async (manager) => (await t.orchestrator.start(tripSaga, { correlationId: data.tripId, data }, { manager })).id,
      );
      const clock = t.app.get(SagaClock);
      const offsetBefore = clock.now().getTime() - Date.now();

      const holder = t.dataSource.createQueryRunner();
      await holder.connect();
      await holder.startTransaction();
      await holder.query('LOCK TABLE saga_history IN EXCLUSIVE MODE');
      let releasing: Promise<void> | undefined;
      const release = (): Promise<void> =>
        (releasing ??= (async () => {
          await holder.rollbackTransaction();
          await holder.release();
        })());
      try {
        t.orchestrator.dispatch(await t.orchestrator.dispatchCurrent(sagaId));
        // Not a fixed sleep: on a loaded machine the bookings may take longer than any guess (CI once saw 50 ms fall
        // short). The signal is PostgreSQL's own: a backend waiting for the history table's lock.
        await waitUntil(async () => (await waitersOnHistoryLock(t)) > 0, 30_000);
        expect(t.orchestrator.inProgress).toBeGreaterThan(0);

        // The kit runs while the reply's transition stays blocked for 400 ms; the old kit jumped the clock then.
        const ending = t.kit.runToEnd(sagaId);
        await new Promise((r) => setTimeout(r, 400));
        await release();
        const state = await ending;

        expect(state.status).toBe(SagaStatus.COMPLETED);
        expect(state.steps[0].branches?.map((b) => b.attempts)).toEqual([1, 1, 1]);
        const history: SagaHistoryRow[] = await t.orchestrator.store.history(sagaId);
        expect(history.filter((h) => /timed out/.test(h.reason ?? ''))).toEqual([]);
        // No deadline was jumped to: the clock moved by less than one step timeout.
        expect(clock.now().getTime() - Date.now() - offsetBefore).toBeLessThan(travelSagaOptions.defaultStepTimeoutMs ?? 1_000);
      } finally {
        await release();
      }
    });
  });

async function waitersOnHistoryLock(t: TravelApp): Promise<number> {
  const rows: Array<{ n: number }> = await t.dataSource.query(
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
      WHERE c.relname = 'saga_history' AND NOT l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows[0]?.n ?? 0;
}
