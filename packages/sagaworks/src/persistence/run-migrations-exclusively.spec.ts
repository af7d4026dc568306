import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, databaseKinds, postgresKinds, type TestDatabase } from '../../../../test/support/test-database.js';
import { sagaMigrations } from './migrations/index.js';
import { MIGRATION_LOCK_KEY, runMigrationsExclusively } from './run-migrations-exclusively.js';

async function connect(db: TestDatabase, poolSize: number): Promise<DataSource> {
  return new DataSource(await buildDataSourceOptions({ ...db.target, poolSize }, { migrations: sagaMigrations })).initialize();
}

async function appliedMigrations(ds: DataSource): Promise<string[]> {
  return (await ds.query<{ name: string }[]>(`SELECT name FROM migrations ORDER BY id`)).map((r) => r.name);
}

for (const kind of databaseKinds()) {
  describe(`runMigrationsExclusively (${kind})`, () => {
    let db: TestDatabase;
    let ds: DataSource;

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      // A pool of one: the lock, the migrations table and the migrations must share the one connection.
      ds = await connect(db, 1);
    });

    afterAll(async () => {
      await ds.destroy();
      await db.drop();
    });

    it('applies the pending migrations once, and nothing on a second run', async () => {
      const first = await runMigrationsExclusively(ds);
      expect(first.map((m) => m.name)).toEqual(sagaMigrations.map((m) => m.name));
      expect(await runMigrationsExclusively(ds)).toEqual([]);
      expect(await appliedMigrations(ds)).toEqual(sagaMigrations.map((m) => m.name));
      expect(await ds.query(`SELECT count(*)::int AS n FROM saga_instance`)).toEqual([{ n: 0 }]);
    });
  });
}

for (const kind of postgresKinds()) {
  describe(`runMigrationsExclusively, several instances at once (${kind})`, () => {
    let db: TestDatabase;
    const sources: DataSource[] = [];

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      for (let i = 0; i < 4; i++) sources.push(await connect(db, 2));
    });

    afterAll(async () => {
      await Promise.all(sources.map((s) => s.destroy()));
      await db.drop();
    });

    it('waits while another holds the lock, then migrates an empty database once across four instances', async () => {
      const holder = new pg.Client({ connectionString: db.target.url });
      await holder.connect();
      await holder.query(`SELECT pg_advisory_lock($1::bigint)`, [MIGRATION_LOCK_KEY]);
      let settled = false;
      const runs = Promise.all(sources.map((s) => runMigrationsExclusively(s))).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      const tables = (await holder.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'saga_instance'`)).rows;
      expect(tables).toEqual([{ n: 0 }]);
      await holder.query(`SELECT pg_advisory_unlock($1::bigint)`, [MIGRATION_LOCK_KEY]);
      await holder.end();

      // Without the lock all four would see every migration pending, and all but one would fail on CREATE TABLE.
      const results = await runs;
      expect(
        results
          .flat()
          .map((m) => m.name)
          .sort(),
      ).toEqual(sagaMigrations.map((m) => m.name).sort());
      expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
      expect(await appliedMigrations(sources[0])).toEqual(sagaMigrations.map((m) => m.name));
    });
  });
}
