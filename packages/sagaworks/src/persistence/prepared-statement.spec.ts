import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, postgresKinds, type TestDatabase } from '../../../../test/support/test-database.js';
import { PREPARED_MARK, PreparedStatementClient, prepared } from './prepared-statement.js';
import { ResilientPgClient } from './resilient-pg-client.js';

for (const kind of postgresKinds()) {
  describe(`PreparedStatementClient (${kind})`, () => {
    let db: TestDatabase;
    let client: PreparedStatementClient;

    const preparedOnConnection = async (): Promise<{ name: string; statement: string }[]> =>
      (await client.query(`SELECT name, statement FROM pg_prepared_statements ORDER BY name`)).rows as {
        name: string;
        statement: string;
      }[];

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      client = new PreparedStatementClient({ connectionString: db.target.url });
      await client.connect();
    });

    afterAll(async () => {
      await client.end();
      await db.drop();
    });

    it('sends a marked statement with values as one named statement per connection, and returns its rows', async () => {
      const sql = prepared(`SELECT $1::int + 1 AS n`);
      const first = await client.query(sql, [1]);
      const second = await client.query(sql, [41]);
      expect(first.rows).toEqual([{ n: 2 }]);
      expect(second.rows).toEqual([{ n: 42 }]);
      const statements = await preparedOnConnection();
      expect(statements).toHaveLength(1);
      expect(statements[0].name).toMatch(/^sw_[0-9a-f]{24}$/);
      expect(statements[0].statement).toBe(sql);
    });

    it('leaves unmarked statements, and marked ones without values, unnamed', async () => {
      const before = await preparedOnConnection();
      expect((await client.query(`SELECT $1::text AS v`, ['x'])).rows).toEqual([{ v: 'x' }]);
      expect((await client.query(`${PREPARED_MARK} SELECT 7 AS v`)).rows).toEqual([{ v: 7 }]);
      expect(await preparedOnConnection()).toEqual(before);
    });

    it('reports a failing prepared statement as the driver error and can run it again afterwards', async () => {
      const sql = prepared(`SELECT 1 / $1::int AS q`);
      await expect(client.query(sql, [0])).rejects.toMatchObject({ code: '22012' });
      expect((await client.query(sql, [1])).rows).toEqual([{ q: 1 }]);
    });
  });
}

describe('buildDataSourceOptions', () => {
  it('gives a PostgreSQL pool the preparing client unless told not to, and the resilient one then', async () => {
    const on = await buildDataSourceOptions(
      { url: 'postgres://u@127.0.0.1:1/x', pgliteDataDir: 'memory://', poolSize: 1 },
      { migrations: [] },
    );
    const off = await buildDataSourceOptions(
      { url: 'postgres://u@127.0.0.1:1/x', pgliteDataDir: 'memory://', poolSize: 1, preparedStatements: false },
      { migrations: [] },
    );
    expect((on as { extra?: { Client?: unknown } }).extra?.Client).toBe(PreparedStatementClient);
    expect((off as { extra?: { Client?: unknown } }).extra?.Client).toBe(ResilientPgClient);
    expect(PreparedStatementClient.prototype).toBeInstanceOf(pg.Client);
  });
});
