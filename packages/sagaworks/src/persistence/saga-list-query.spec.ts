import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../../test/support/test-database.js';
import { sagaMigrations } from './migrations/index.js';
import { listSagas, type SagaListFilter, type SagaSummary } from './saga-list-query.js';
import type { SqlRunner } from './saga-store.js';

const TOTAL = 37;

/**
 * Row `g` of the seed: three types, two statuses, correlation ids shared across types in threes, creation times that tie
 * in threes, apart by microseconds, and one row in five at a WAITING current step (half of them RUNNING).
 */
const seedSql = `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, version,
    history_seq, definition_hash, created_at, updated_at)
  SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g * 7919 % 1000), 12, '0'))::uuid, 'type-' || (g % 3), 'corr-' || (g / 3),
    CASE WHEN g % 2 = 0 THEN 'COMPLETED' ELSE 'RUNNING' END, CASE WHEN g % 5 = 3 THEN 1 ELSE 0 END, 'one',
    CASE g % 5
      -- waits at its current (second) step: listed by the waiting filter when RUNNING
      WHEN 3 THEN '[{"name":"one","status":"COMPLETED","attempts":1,"compensationAttempts":0},{"name":"two","status":"WAITING","attempts":0,"compensationAttempts":0}]'
      -- a step that is not the current one says WAITING: not listed
      WHEN 4 THEN '[{"name":"one","status":"EXECUTING","attempts":1,"compensationAttempts":0},{"name":"two","status":"WAITING","attempts":0,"compensationAttempts":0}]'
      ELSE '[{"name":"one","status":"EXECUTING","attempts":1,"compensationAttempts":0}]'
    END::jsonb, jsonb_build_object('big', repeat('x', 1000)),
    1, 1, 'h', timestamptz '2026-01-01T00:00:00Z' + (g / 3) * interval '1 microsecond', now()
  FROM generate_series(1, ${TOTAL}) AS g`;

for (const kind of databaseKinds()) {
  describe(`listSagas, keyset pages newest first, on ${kind}`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    /** Every row, in the list's order, read independently of the query under test. */
    let expected: { id: string; type: string; status: string; correlation_id: string; current_status: string }[];

    beforeAll(async () => {
      db = await createTestDatabase(kind, 2);
      ds = await new DataSource(await buildDataSourceOptions(db.target, { migrations: sagaMigrations })).initialize();
      await ds.runMigrations();
      await ds.query(seedSql);
      expected = await ds.query(`SELECT id, type, status, correlation_id, steps -> step_index ->> 'status' AS current_status
                                 FROM saga_instance ORDER BY created_at DESC, id DESC`);
    });

    afterAll(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    /** Every page of `filter`, with the statements each page sent. */
    async function allPages(filter: Omit<SagaListFilter, 'after'>): Promise<{ pages: SagaSummary[][]; sql: string[][] }> {
      const pages: SagaSummary[][] = [];
      const sql: string[][] = [];
      let after: SagaListFilter['after'];
      for (let i = 0; i < 100; i++) {
        const sent: string[] = [];
        const recording: SqlRunner = {
          query: ((text: string, params?: unknown[]) => {
            sent.push(text);
            return ds.query(text, params);
          }) as SqlRunner['query'],
        };
        const page = await listSagas(recording, { ...filter, after });
        pages.push(page.items);
        sql.push(sent);
        if (!page.next) return { pages, sql };
        after = page.next;
      }
      throw new Error('the pages never ended');
    }

    it('visits every saga exactly once, in (created_at, id) descending order, across ties to the microsecond', async () => {
      const { pages, sql } = await allPages({ limit: 5 });
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 5, 5, 5, 2]);
      expect(pages.flat().map((s) => s.id)).toEqual(expected.map((r) => r.id));
      expect(sql.every((statements) => statements.length === 1)).toBe(true);
    });

    it('ends with a null cursor when the last page is exactly full', async () => {
      const { pages } = await allPages({ limit: TOTAL });
      expect(pages.map((p) => p.length)).toEqual([TOTAL]);
    });

    it.each<[string, Omit<SagaListFilter, 'after' | 'limit'>, (r: (typeof expected)[number]) => boolean]>([
      ['status', { status: 'COMPLETED' }, (r) => r.status === 'COMPLETED'],
      ['type', { type: 'type-1' }, (r) => r.type === 'type-1'],
      ['correlation id', { correlationId: 'corr-2' }, (r) => r.correlation_id === 'corr-2'],
      ['type and status', { type: 'type-2', status: 'RUNNING' }, (r) => r.type === 'type-2' && r.status === 'RUNNING'],
      ['waiting', { waiting: true }, (r) => r.status === 'RUNNING' && r.current_status === 'WAITING'],
      [
        'waiting and type',
        { waiting: true, type: 'type-0' },
        (r) => r.type === 'type-0' && r.status === 'RUNNING' && r.current_status === 'WAITING',
      ],
      ['waiting and COMPLETED', { waiting: true, status: 'COMPLETED' }, () => false],
    ])('pages a %s filter through the matching sagas only, one statement a page', async (_, filter, matches) => {
      const { pages, sql } = await allPages({ ...filter, limit: 2 });
      expect(pages.flat().map((s) => s.id)).toEqual(expected.filter(matches).map((r) => r.id));
      expect(sql.every((statements) => statements.length === 1)).toBe(true);
    });

    it('the seed holds waiting sagas of both kinds, so the waiting filter has something to leave out', () => {
      const waitingRows = expected.filter((r) => r.current_status === 'WAITING');
      expect(waitingRows.filter((r) => r.status === 'RUNNING').length).toBeGreaterThanOrEqual(3);
      expect(waitingRows.filter((r) => r.status === 'COMPLETED').length).toBeGreaterThanOrEqual(3);
    });

    it('reads the summary columns only: never the data, nor the lease', async () => {
      const { sql, pages } = await allPages({ limit: 50 });
      expect(sql[0][0]).not.toMatch(/\bdata\b|lease_/);
      const [first] = pages[0];
      expect(Object.keys(first).sort()).toEqual(
        [
          'createdAt',
          'correlationId',
          'dueAt',
          'failureReason',
          'id',
          'status',
          'stepIndex',
          'steps',
          'type',
          'updatedAt',
          'version',
        ].sort(),
      );
      expect(first.steps).toEqual([{ name: 'one', status: 'EXECUTING', attempts: 1, compensationAttempts: 0 }]);
      expect(first.createdAt).toBeInstanceOf(Date);
    });
  });
}
