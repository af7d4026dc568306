import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { sagaMigrations } from 'sagaworks';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { listSagas, type SagaListFilter } from '../../packages/sagaworks/src/persistence/saga-list-query.js';
import type { SqlRunner } from '../../packages/sagaworks/src/persistence/saga-store.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/test-database';
import { explain, type CapturedQuery } from './scale';

const TOTAL = 50_000;

/** The SQL and parameters `listSagas` sends for `filter`, from a runner that records and answers nothing. */
async function captureListQuery(filter: SagaListFilter): Promise<CapturedQuery> {
  let captured: CapturedQuery | null = null;
  const recorder: SqlRunner = {
    query: ((sql: string, params?: unknown[]) => {
      captured ??= { sql, params: params ?? [] };
      return Promise.resolve([]);
    }) as SqlRunner['query'],
  };
  await listSagas(recorder, filter);
  if (!captured) throw new Error('listSagas sent no query');
  return captured;
}

/*
 * GET /sagas pages by keyset on (created_at DESC, id DESC). With 50,000 sagas, the first page, a page far down the
 * list, and a page of each filter must each read an index range in the list's order: an index scan on the
 * index of IndexSagaList1766000000000 meant for it, no sequential scan and no sort of the whole match. Asserted
 * on the plan of the query listSagas really sends, before and after ANALYZE.
 */
for (const kind of databaseKinds())
  describe(`the saga list's plans at scale, on ${kind}`, () => {
    let db: TestDatabase;
    let dataSource: DataSource;

    beforeAll(async () => {
      db = await createTestDatabase(kind, 2);
      dataSource = new DataSource(await buildDataSourceOptions(db.target, { migrations: sagaMigrations }));
      await dataSource.initialize();
      await dataSource.runMigrations();
      // As in production: most sagas COMPLETED and of the main type, a few FAILED (1 in 500) and of a rare type (1 in
      // 1,000); one saga a second over the last weeks. Ids ascend so the insert stays quick.
      await dataSource.query(
        `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, version, history_seq,
           definition_hash, created_at, updated_at)
         SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
           CASE WHEN g % 1000 = 0 THEN 'rare' ELSE 'main' END, 'corr-' || g,
           CASE WHEN g % 500 = 0 THEN 'FAILED' WHEN g % 50 = 1 THEN 'COMPENSATED' WHEN g % 100 = 2 THEN 'RUNNING' ELSE 'COMPLETED' END, 0, 'one',
           '[{"name":"one","status":"COMPLETED","attempts":1,"compensationAttempts":0}]', '{"note":"x"}', 1, 1, 'h',
           now() - ($1::int - g) * interval '1 second', now()
         FROM generate_series(1, $1::int) AS g`,
        [TOTAL],
      );
    });

    afterAll(async () => {
      await dataSource?.destroy();
      await db?.drop();
    });

    const farDown = { createdAt: new Date(Date.now() - 40_000_000).toISOString(), id: '00000000-0000-4000-8000-000000002710' };
    const FAILED = 'FAILED' as SagaListFilter['status'];
    const COMPLETED = 'COMPLETED' as SagaListFilter['status'];
    // The index each plan must read; a common value may be read off the plain list's index instead (a page of it is
    // found within a few hundred rows), and a correlation id matches a handful of rows, which may be sorted.
    const ANY = '[a-z_]+';
    const cases: [string, SagaListFilter, string, boolean][] = [
      ['the first page', { limit: 100 }, 'saga_instance_created_idx', true],
      ['a page far down the list', { limit: 100, after: farDown }, 'saga_instance_created_idx', true],
      ['a rare status', { limit: 100, status: FAILED }, 'saga_instance_status_created_idx', true],
      ['a later page of a rare status', { limit: 100, status: FAILED, after: farDown }, 'saga_instance_status_created_idx', true],
      ['a common status', { limit: 100, status: COMPLETED }, ANY, true],
      ['a rare type', { limit: 100, type: 'rare' }, 'saga_instance_type_created_idx', true],
      ['a common type and a rare status', { limit: 100, type: 'main', status: FAILED }, ANY, true],
      ['a correlation id', { limit: 100, correlationId: 'corr-42' }, 'saga_instance_correlation_idx', false],
    ];

    it.each(cases)('plans %s as an index scan on its index, before and after ANALYZE', async (_, filter, index, ordered) => {
      const query = await captureListQuery(filter);
      const fresh = await explain(dataSource, query);
      await dataSource.query('ANALYZE saga_instance');
      const analyzed = await explain(dataSource, query);
      for (const plan of [fresh, analyzed]) {
        expect(plan.scans).toContainEqual(
          expect.stringMatching(new RegExp(`^(Index|Bitmap Index) (Only )?Scan on saga_instance using ${index}$`)),
        );
        expect(plan.nodeTypes).not.toContain('Seq Scan');
        if (ordered) expect(plan.nodeTypes).not.toContain('Sort');
      }
    });

    it('answers the pages the plans are for: 100 rows, newest first, and the far page after its cursor', async () => {
      const first = await listSagas(dataSource, { limit: 100 });
      expect(first.items).toHaveLength(100);
      expect(first.items[0].correlationId).toBe(`corr-${TOTAL}`);
      const far = await listSagas(dataSource, { limit: 100, after: farDown });
      expect(far.items).toHaveLength(100);
      expect(far.items.every((s) => s.createdAt.getTime() <= Date.parse(farDown.createdAt))).toBe(true);
    });
  });
