import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../../../src/database/data-source-options.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../../../test/support/test-database.js';
import { runMigrationsExclusively } from '../run-migrations-exclusively.js';
import { BatchHistoryInOneInsert1768000000200 } from './1768000000200-batch-history-in-one-insert.js';
import { sagaMigrations } from './index.js';

interface HistoryLine {
  saga_id: string;
  seq: number;
  step: string | null;
  to_status: string;
  reason: string | null;
}

for (const kind of databaseKinds()) {
  describe(`saga_store_transitions after BatchHistoryInOneInsert (${kind})`, () => {
    let db: TestDatabase;
    let ds: DataSource;

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      ds = await new DataSource(await buildDataSourceOptions(db.target, { migrations: sagaMigrations })).initialize();
      await runMigrationsExclusively(ds);
    });

    afterAll(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    /** A running saga at version 1 with `historySeq` lines of history already. */
    async function insertSaga(historySeq: number): Promise<string> {
      const id = randomUUID();
      await ds.query(
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
        await ds.query<{ id: string }[]>(`SELECT saga_store_transitions AS id FROM saga_store_transitions($1::jsonb)`, [
          JSON.stringify(batch),
        ])
      ).map((r) => r.id);
      const history = await ds.query<HistoryLine[]>(
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
      const rows = await ds.query<{ id: string; version: number; history_seq: number }[]>(
        `SELECT id, version, history_seq FROM saga_instance WHERE id = ANY($1::uuid[])`,
        [[a, b, stale]],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(a)).toMatchObject({ version: 2, history_seq: 5 });
      expect(byId.get(b)).toMatchObject({ version: 2, history_seq: 1 });
      expect(byId.get(stale)).toMatchObject({ version: 1, history_seq: 5 });
    });

    it('stores exactly what the function it replaced stored, and its down restores that one', async () => {
      // Released before the next batch: PGlite is one session, which a held runner would keep from it.
      const migrate = async (direction: 'up' | 'down'): Promise<void> => {
        const runner = ds.createQueryRunner();
        try {
          await new BatchHistoryInOneInsert1768000000200()[direction](runner);
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
