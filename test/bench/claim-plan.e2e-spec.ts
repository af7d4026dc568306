import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { sagaMigrations } from 'sagaworks';
import { SagaStore } from '../../packages/sagaworks/src/persistence/saga-store.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/test-database';
import { captureClaimQuery, captureStoreQuery, explain, insertSyntheticSagas, SCALE_DUE, SCALE_TOTAL, WAKE_INDEX } from './scale';

const WAKE_INDEX_SCAN = new RegExp(`^Index (Only )?Scan on saga_instance using ${WAKE_INDEX}$`);

/*
 * The timeout job claims due sagas every second. With 100,000 in flight and 100 due, its claim must read the
 * partial index on wake_at, never the whole table: the plan of the query SagaStore.claimDue really sends is
 * asserted, before and after ANALYZE (a fresh table has no statistics until autovacuum gets to it).
 */
for (const kind of databaseKinds())
  describe(`the timeout job's claim at scale, on ${kind}`, () => {
    let db: TestDatabase;
    let dataSource: DataSource;
    const now = new Date();
    const lease = { owner: 'claim-plan-test', until: new Date(now.getTime() + 15_000) };

    beforeAll(async () => {
      db = await createTestDatabase(kind, 2);
      dataSource = new DataSource(await buildDataSourceOptions(db.target, { migrations: sagaMigrations }));
      await dataSource.initialize();
      await dataSource.runMigrations();
      await insertSyntheticSagas(dataSource, SCALE_TOTAL, SCALE_DUE);
    });

    afterAll(async () => {
      await dataSource?.destroy();
      await db?.drop();
    });

    it(`holds ${SCALE_TOTAL} in-flight sagas, ${SCALE_DUE} of them due`, async () => {
      const [row] = await dataSource.query<{ total: number; due: number }[]>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE wake_at <= now())::int AS due FROM saga_instance WHERE wake_at IS NOT NULL`,
      );
      expect(row).toEqual({ total: SCALE_TOTAL, due: SCALE_DUE });
    });

    it('plans an index scan on saga_instance_wake_idx and no sequential scan, before and after ANALYZE', async () => {
      const query = await captureClaimQuery(now, 100, lease);
      expect(query.sql).toMatch(/FOR UPDATE SKIP LOCKED/);
      const fresh = await explain(dataSource, query);
      await dataSource.query('ANALYZE saga_instance');
      const analyzed = await explain(dataSource, query);
      for (const plan of [fresh, analyzed]) {
        expect(plan.scans.some((s) => WAKE_INDEX_SCAN.test(s))).toBe(true);
        expect(plan.nodeTypes).not.toContain('Seq Scan');
      }
    });

    it("renews the instance's own leases by the lease index, never reading every saga in flight", async () => {
      // Before the index this read all 100,000 (130 ms a pass among a million, every second, while any lease was held).
      const query = await captureStoreQuery((store) => store.renewLeases(lease, new Date(now.getTime() + 7_500)));
      const fresh = await explain(dataSource, query);
      await dataSource.query('ANALYZE saga_instance');
      const analyzed = await explain(dataSource, query);
      for (const plan of [fresh, analyzed]) {
        expect(plan.scans).toContain('Index Scan on saga_instance using saga_instance_lease_idx');
        expect(plan.nodeTypes).not.toContain('Seq Scan');
      }
    });

    it('claims exactly the due sagas', async () => {
      const claimed = await new SagaStore(dataSource).claimDue(new Date(), 100, lease);
      expect(claimed).toHaveLength(SCALE_DUE);
      expect(claimed.every((s) => s.leaseOwner === lease.owner && Number(s.correlationId.split('-')[1]) <= SCALE_DUE)).toBe(true);
    });
  });
