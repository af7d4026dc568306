import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type Logger, QueryFailedError } from 'typeorm';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../../test/support/test-database.js';
import { PoolSqlRunner, sqlRunnerFor } from './pool-sql-runner.js';

/** A TypeORM logger that keeps what it was told. */
class RecordingLogger implements Logger {
  queries: string[] = [];
  failures: string[] = [];
  logQuery(query: string): void {
    this.queries.push(query);
  }
  logQueryError(_error: string | Error, query: string): void {
    this.failures.push(query);
  }
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

for (const kind of databaseKinds()) {
  describe(`PoolSqlRunner (${kind})`, () => {
    let db: TestDatabase;
    let dataSource: DataSource;
    let runner: PoolSqlRunner;
    const logger = new RecordingLogger();
    const pool = (): { totalCount: number; idleCount: number } =>
      (dataSource.driver as unknown as { master: { totalCount: number; idleCount: number } }).master;

    beforeAll(async () => {
      db = await createTestDatabase(kind, 2);
      dataSource = new DataSource({ ...(await buildDataSourceOptions(db.target, { migrations: [] })), logger });
      await dataSource.initialize();
      await dataSource.query(`CREATE TABLE runner_t (id int PRIMARY KEY, v text)`);
      runner = sqlRunnerFor(dataSource) as PoolSqlRunner;
    });

    afterAll(async () => {
      await dataSource?.destroy();
      await db?.drop();
    });

    it('is what sqlRunnerFor gives for a PostgreSQL or PGlite DataSource', () => {
      expect(runner).toBeInstanceOf(PoolSqlRunner);
    });

    it('returns what DataSource.query returns: rows, and [rows, count] for UPDATE and DELETE', async () => {
      const insert = `INSERT INTO runner_t (id, v) VALUES ($1, $2), ($3, $4) RETURNING id`;
      expect(await runner.query(insert, [1, 'a', 2, 'b'])).toEqual(await dataSource.query(`SELECT id FROM runner_t ORDER BY id`));
      const select = `SELECT id, v FROM runner_t ORDER BY id`;
      expect(await runner.query(select)).toEqual(await dataSource.query(select));
      expect(await runner.query(`UPDATE runner_t SET v = v || '!' WHERE id = $1 RETURNING v`, [1])).toEqual([[{ v: 'a!' }], 1]);
      expect(await dataSource.query(`UPDATE runner_t SET v = v || '?' WHERE id = $1 RETURNING v`, [1])).toEqual([[{ v: 'a!?' }], 1]);
      expect(await runner.query(`DELETE FROM runner_t WHERE id = $1`, [2])).toEqual([[], 1]);
      expect(logger.queries).toContain(select);
    });

    it("fails as TypeORM does, with the driver's error beside its own, logged, and leaves the pool whole", async () => {
      const before = logger.failures.length;
      const failed = await runner.query(`INSERT INTO runner_t (id, v) VALUES (1, 'dup')`).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(QueryFailedError);
      expect((failed as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('23505');
      expect(logger.failures.length).toBe(before + 1);
      // An answer of the database leaves its connection in the pool; the next statement runs.
      expect(await runner.query(`SELECT count(*)::int AS n FROM runner_t`)).toEqual([{ n: 1 }]);
      expect(pool().totalCount).toBeGreaterThanOrEqual(1);
    });

    it('fails, and does not hang, once its DataSource is destroyed', async () => {
      const other = new DataSource({ ...(await buildDataSourceOptions(db.target, { migrations: [] })), logger });
      await other.initialize();
      const otherRunner = sqlRunnerFor(other);
      expect(await otherRunner.query(`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
      await other.destroy();
      await expect(otherRunner.query(`SELECT 1 AS one`)).rejects.toThrow();
    });
  });
}
