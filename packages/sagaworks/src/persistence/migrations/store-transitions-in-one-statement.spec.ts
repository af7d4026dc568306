import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { databaseKinds } from '../../../../../test/support/test-database.js';
import { migratedSagaDatabase } from '../../spec-support/migrated-saga-database.js';
import {
  STORE_TRANSITIONS_STATEMENT,
  StoreTransitionsInOneStatement1768000000200,
} from './1768000000200-store-transitions-in-one-statement.js';

interface HistoryLine {
  saga_id: string;
  seq: number;
  step: string | null;
  to_status: string;
  reason: string | null;
}

for (const kind of databaseKinds()) {
  describe(`saga_store_transitions after StoreTransitionsInOneStatement (${kind})`, () => {
    const saga = migratedSagaDatabase(kind);

    /** A running saga at version 1 with `historySeq` lines of history already. */
    async function insertSaga(historySeq: number): Promise<string> {
      const id = randomUUID();
      await saga.ds.query(
        `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, version, history_seq,
           definition_hash, created_at, updated_at)
         VALUES ($1::uuid, 'batch-test', $1, 'RUNNING', 0, 'one', '[]', '{}', 1, $2, 'h', now(), now())`,
        [id, historySeq],
      );
      return id;
    }

    const row = (id: string, version: number, lines: string[]) => ({
      id,
      version,
      status: 'RUNNING',
      step_index: 1,
      current_step: 'two',
      steps: [{ name: 'one' }, { name: 'two' }],
      data: { moved: true },
      failure_reason: null,
      due_at: null,
      lease_owner: null,
      lease_until: null,
      wake_at: null,
      n: lines.length,
      updated_at: '2026-12-03T10:00:00.000Z',
      definition_hash: 'h',
      history: lines.map((reason, i) => ({ i: i + 1, step: 'two', from_status: 'PENDING', to_status: 'EXECUTING', reason })),
    });

    /** Stores a batch of three: two fresh transitions (3 lines, 1 line) and a stale one; what the table holds after. */
    async function storeBatch(): Promise<{ stored: string[]; history: HistoryLine[]; ids: string[] }> {
      const [a, b, stale] = [await insertSaga(2), await insertSaga(0), await insertSaga(5)];
      const batch = [row(a, 1, ['a1', 'a2', 'a3']), row(b, 1, ['b1']), row(stale, 7, ['never'])];
      const stored = (
        await saga.ds.query<{ id: string }[]>(`SELECT saga_store_transitions AS id FROM saga_store_transitions($1::jsonb)`, [
          JSON.stringify(batch),
        ])
      ).map((r) => r.id);
      const history = await saga.ds.query<HistoryLine[]>(
        `SELECT saga_id, seq, step, to_status, reason FROM saga_history WHERE saga_id = ANY($1::uuid[]) ORDER BY saga_id, seq`,
        [[a, b, stale]],
      );
      return { stored, history, ids: [a, b, stale] };
    }

    /** The batch's outcome with the sagas named a, b and stale, so two batches compare. */
    const shape = (r: Awaited<ReturnType<typeof storeBatch>>) => {
      const [a, b] = r.ids;
      const label = (id: string): string => (id === a ? 'a' : id === b ? 'b' : 'stale');
      return {
        stored: r.stored.map(label).sort(),
        history: r.history
          .map((h) => ({ saga: label(h.saga_id), seq: h.seq, reason: h.reason }))
          .sort((x, y) => x.saga.localeCompare(y.saga) || x.seq - y.seq),
      };
    };

    it('stores the fresh transitions with their history numbered after what each saga had, and nothing of a stale one', async () => {
      const result = await storeBatch();
      const [a, b, stale] = result.ids;
      expect([...result.stored].sort()).toEqual([a, b].sort());
      expect(shape(result).history).toEqual(
        expect.arrayContaining([
          { saga: 'a', seq: 3, reason: 'a1' },
          { saga: 'a', seq: 4, reason: 'a2' },
          { saga: 'a', seq: 5, reason: 'a3' },
          { saga: 'b', seq: 1, reason: 'b1' },
        ]),
      );
      expect(result.history).toHaveLength(4);
      const rows = await saga.ds.query<{ id: string; version: number; history_seq: number }[]>(
        `SELECT id, version, history_seq FROM saga_instance WHERE id = ANY($1::uuid[])`,
        [[a, b, stale]],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(a)).toMatchObject({ version: 2, history_seq: 5 });
      expect(byId.get(b)).toMatchObject({ version: 2, history_seq: 1 });
      expect(byId.get(stale)).toMatchObject({ version: 1, history_seq: 5 });
    });

    // PGlite is one session: nothing runs beside a batch there.
    if (kind === 'postgres')
      it('locks a batch in id order whatever order it comes in, so two batches cannot deadlock', async () => {
        const [first, second] = [await insertSaga(0), await insertSaga(0)].sort();
        const holder = saga.ds.createQueryRunner();
        const other = saga.ds.createQueryRunner();
        try {
          await holder.startTransaction();
          await holder.query(`SELECT 1 FROM saga_instance WHERE id = $1 FOR UPDATE`, [second]);
          // The batch lists the higher id first; stored in id order, it locks `first` and then waits for `second`.
          const storing = saga.ds.query<{ saga_store_transitions: string }[]>(`SELECT * FROM saga_store_transitions($1::jsonb)`, [
            JSON.stringify([row(second, 1, ['s']), row(first, 1, ['f'])]),
          ]);
          const deadline = Date.now() + 5_000;
          let waiting = false;
          while (!waiting && Date.now() < deadline) {
            const rows: unknown = await other.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%saga_store_transitions%'`,
            );
            waiting = (rows as { n: number }[])[0].n > 0;
            if (!waiting) await new Promise((r) => setTimeout(r, 20));
          }
          expect(waiting).toBe(true);
          // `first` is taken already: the batch locked it before it waited.
          await expect(other.query(`SELECT 1 FROM saga_instance WHERE id = $1 FOR UPDATE NOWAIT`, [first])).rejects.toMatchObject({
            driverError: { code: '55P03' },
          });
          await holder.commitTransaction();
          expect((await storing).length).toBe(2);
        } finally {
          if (holder.isTransactionActive) await holder.rollbackTransaction();
          await holder.release();
          await other.release();
        }
      });

    it('looks each saga up by its primary key, in its generic plan too, among thousands of rows', async () => {
      await saga.ds.query(
        `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, version, history_seq,
           definition_hash, created_at, updated_at)
         SELECT gen_random_uuid(), 'plan-test', 'c' || i, 'RUNNING', 0, 'one', '[]', '{}', 1, 0, 'h', now(), now()
         FROM generate_series(1, 5000) AS i`,
      );
      await saga.ds.query(`ANALYZE saga_instance`);
      const runner = saga.ds.createQueryRunner();
      try {
        await runner.query(`PREPARE store_plan(jsonb) AS ${STORE_TRANSITIONS_STATEMENT}`);
        await runner.query(`SET plan_cache_mode = force_generic_plan`);
        const plan = ((await runner.query(`EXPLAIN EXECUTE store_plan('[]')`)) as { 'QUERY PLAN': string }[])
          .map((r) => r['QUERY PLAN'])
          .join('\n');
        // The lock's lookups (an index scan per transition) and the update's (a bitmap scan of the locked ids).
        expect(plan).toMatch(/Index Scan using saga_instance_pkey on saga_instance/);
        expect(plan).toMatch(/Bitmap Index Scan on saga_instance_pkey/);
        expect(plan).not.toMatch(/Seq Scan on saga_instance/);
        await runner.query(`RESET plan_cache_mode`);
        await runner.query(`DEALLOCATE store_plan`);
      } finally {
        await runner.release();
      }
    });

    it('stores exactly what the function it replaced stored, and its down restores that one', async () => {
      // Released before the next batch: PGlite is one session, which a held runner would keep from it.
      const migrate = async (direction: 'up' | 'down'): Promise<void> => {
        const runner = saga.ds.createQueryRunner();
        try {
          await new StoreTransitionsInOneStatement1768000000200()[direction](runner);
        } finally {
          await runner.release();
        }
      };
      const replaced = shape(await storeBatch());
      await migrate('down');
      try {
        expect(shape(await storeBatch())).toEqual(replaced);
      } finally {
        await migrate('up');
      }
      expect(shape(await storeBatch())).toEqual(replaced);
    });
  });
}
