import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../database/data-source-options';
import { createTestDatabase, postgresKinds, type TestDatabase } from '../../../test/support/test-database';
import { sagaMigrations } from './migrations';
import { runMigrationsExclusively } from './run-migrations-exclusively';
import { SagaStore } from './saga-store';

for (const kind of postgresKinds()) {
  describe(`SagaStore.renewLeases (${kind})`, () => {
    let db: TestDatabase;
    let ds: DataSource;

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      ds = await new DataSource(await buildDataSourceOptions(db.target, { migrations: sagaMigrations })).initialize();
      await runMigrationsExclusively(ds);
    });

    afterAll(async () => {
      await ds.destroy();
      await db.drop();
    });

    /** A saga in flight, leased to `owner` until `leaseUntil`. */
    async function insertLeased(owner: string, leaseUntil: Date): Promise<string> {
      const id = randomUUID();
      await ds.query(
        `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, due_at, lease_owner,
           lease_until, wake_at, version, history_seq, definition_hash, created_at, updated_at)
         VALUES ($1::uuid, 'lease-test', $1::text, 'RUNNING', 0, 'one', '[]', '{}', now() + interval '1 hour', $2, $3, $3, 1, 0, 'h', now(), now())`,
        [id, owner, leaseUntil.toISOString()],
      );
      return id;
    }

    const leaseOf = async (id: string): Promise<Date> => new Date(((await ds.query(`SELECT lease_until FROM saga_instance WHERE id = $1`, [id])) as { lease_until: Date }[])[0].lease_until);

    it('renews the leases about to end, skips a row a transition holds locked, and never waits for it', async () => {
      const soon = new Date(Date.now() + 500);
      const [a, b, locked] = [await insertLeased('node-a', soon), await insertLeased('node-a', soon), await insertLeased('node-a', soon)];
      const other = await insertLeased('node-b', soon);
      // A transition of `locked` is being stored by another connection right now.
      const holder = new pg.Client({ connectionString: db.target.url });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM saga_instance WHERE id = $1 FOR UPDATE`, [locked]);
      try {
        const until = new Date(Date.now() + 60_000);
        const renewed = new SagaStore(ds).renewLeases({ owner: 'node-a', until }, new Date(Date.now() + 30_000)).then(() => 'renewed');
        const waited = new Promise((r) => setTimeout(() => r('waited for the locked row'), 3_000).unref());
        expect(await Promise.race([renewed, waited])).toBe('renewed');
        expect((await leaseOf(a)).getTime()).toBe(until.getTime());
        expect((await leaseOf(b)).getTime()).toBe(until.getTime());
        expect((await leaseOf(other)).getTime()).toBe(soon.getTime());
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      expect((await leaseOf(locked)).getTime()).toBe(soon.getTime());
    });
  });
}
