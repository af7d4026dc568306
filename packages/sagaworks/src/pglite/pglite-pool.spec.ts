import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { prepared } from '../persistence/prepared-statement.js';
import { createPgliteOptions } from './pglite-options.js';
import { PglitePool } from './pglite-pool.js';

describe('PglitePool (pg over one PGlite session)', () => {
  let db: PGlite;
  let pool: PglitePool;

  // One database for the block: opening a PGlite takes seconds.
  beforeAll(async () => {
    db = await PGlite.create('memory://');
    pool = new PglitePool(db);
    await pool.query(`CREATE TABLE pool_t (id int PRIMARY KEY, v text)`);
  });

  beforeEach(async () => {
    await pool.query(`TRUNCATE pool_t`);
  });

  afterAll(async () => {
    if (!db.closed) await pool.end();
  });

  it('lends its one session to one borrower at a time: a ROLLBACK undoes only its own transaction', async () => {
    const first = await pool.connect();
    const secondLent = pool.connect();
    let secondHasIt = false;
    void secondLent.then(() => (secondHasIt = true));
    await first.query('BEGIN');
    await first.query(`INSERT INTO pool_t VALUES (1, 'rolled back')`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(secondHasIt).toBe(false);
    await first.query('ROLLBACK');
    first.release();

    const second = await secondLent;
    await second.query('BEGIN');
    await second.query(`INSERT INTO pool_t VALUES (2, 'kept')`);
    await second.query('COMMIT');
    second.release();
    expect((await pool.query('SELECT id FROM pool_t ORDER BY id')).rows).toEqual([{ id: 2 }]);
  });

  it('parses a prepared statement once for the session and runs it by name afterwards', async () => {
    const text = prepared('SELECT v FROM pool_t WHERE id = $1');
    await pool.query(`INSERT INTO pool_t VALUES (7, 'seven')`);
    for (let i = 0; i < 3; i++) expect((await pool.query(text, [7])).rows).toEqual([{ v: 'seven' }]);
    const statements = await pool.query<{ name: string; calls: string }>(
      `SELECT name, generic_plans + custom_plans AS calls FROM pg_prepared_statements WHERE statement = $1`,
      [text],
    );
    expect(statements.rows).toHaveLength(1);
    expect(statements.rows[0].name).toMatch(/^sw_/);
    expect(Number(statements.rows[0].calls)).toBe(3);
  });

  it('hands the next borrower a session outside any transaction after a client is released broken inside one', async () => {
    const broken = await pool.connect();
    await broken.query('BEGIN');
    await broken.query(`INSERT INTO pool_t VALUES (3, 'never committed')`);
    broken.release(new Error('the borrower gave up mid-transaction'));

    const next: pg.PoolClient = await pool.connect();
    await next.query(`INSERT INTO pool_t VALUES (4, 'autocommitted')`);
    next.release();
    // Had the replacement inherited the open transaction, row 3 would be there and row 4 uncommitted.
    expect((await pool.query('SELECT id FROM pool_t ORDER BY id')).rows).toEqual([{ id: 4 }]);
    const [status] = (await pool.query<{ open: boolean }>(`SELECT now() <> statement_timestamp() AS open`)).rows;
    expect(status.open).toBe(false);
  });

  it('parses rows the way pg does on a server (bigint as text, timestamptz as Date, jsonb as objects)', async () => {
    const { rows } = await pool.query<{ big: unknown; at: unknown; doc: unknown }>(
      `SELECT 9007199254740993::bigint AS big, '2026-12-03T00:00:00Z'::timestamptz AS at, '{"a":[1]}'::jsonb AS doc`,
    );
    expect(rows[0]).toEqual({ big: '9007199254740993', at: new Date('2026-12-03T00:00:00Z'), doc: { a: [1] } });
  });

  // Last in the block: it ends the shared pool.
  it('closes the PGlite database when it ends, as TypeORM destroy() does', async () => {
    await new Promise<void>((resolve, reject) => pool.end((error) => (error ? reject(error) : resolve())));
    expect(db.closed).toBe(true);
  });
});

describe('createPgliteOptions', () => {
  it('gives TypeORM options that run on an embedded database and close it on destroy', async () => {
    const dataSource = new DataSource({ ...(await createPgliteOptions('memory://')), entities: [] });
    await dataSource.initialize();
    const [row] = await dataSource.query<{ answer: number }[]>(`SELECT 6 * 7 AS answer`);
    expect(row.answer).toBe(42);
    await dataSource.destroy();
    expect(dataSource.isInitialized).toBe(false);
  });
});
