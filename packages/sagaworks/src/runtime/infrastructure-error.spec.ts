import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, databaseKinds } from '../../../../test/support/test-database.js';
import { classifiedReason, isTransientInfrastructureError } from './infrastructure-error.js';

const sqlError = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code });

describe('isTransientInfrastructureError', () => {
  it.each([
    ['read-only transaction', '25006'],
    ['statement timeout', '57014'],
    ['lock timeout', '55P03'],
    ['serialization failure', '40001'],
    ['deadlock', '40P01'],
    ['admin shutdown', '57P01'],
    ['cannot connect now', '57P03'],
    ['too many connections', '53300'],
    ['connection failure', '08006'],
    ['socket refused', 'ECONNREFUSED'],
    ['socket reset', 'ECONNRESET'],
  ])('when the database fails with %s (%s), it is an infrastructure fault', (_, code) => {
    expect(isTransientInfrastructureError(sqlError(code))).toBe(true);
  });

  it.each([
    ['unique violation', '23505'],
    ['check violation', '23514'],
    ['syntax error', '42601'],
    ['undefined table', '42P01'],
  ])('when the database refuses the data or the statement (%s, %s), it is not', (_, code) => {
    expect(isTransientInfrastructureError(sqlError(code))).toBe(false);
  });

  it('reads the code of the driver error that TypeORM wraps, and of a cause', () => {
    const wrapped = new QueryFailedError('UPDATE x', [], sqlError('25006', 'cannot execute UPDATE in a read-only transaction'));
    expect(isTransientInfrastructureError(wrapped)).toBe(true);
    expect(isTransientInfrastructureError(new Error('charge failed', { cause: sqlError('57014') }))).toBe(true);
  });

  it("knows pg's own connection errors by their words", () => {
    expect(isTransientInfrastructureError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientInfrastructureError(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('treats a business error, or anything else, as no infrastructure fault', () => {
    expect(isTransientInfrastructureError(new Error('card declined'))).toBe(false);
    expect(isTransientInfrastructureError('a string')).toBe(false);
    expect(isTransientInfrastructureError(null)).toBe(false);
  });

  it('when nothing listens on the port, the real pg error is an infrastructure fault', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2_000 });
    const error = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isTransientInfrastructureError(error)).toBe(true);
  });
});

describe('classifiedReason', () => {
  it("stores a database error as its class and SQLSTATE, without the driver's text", () => {
    const wrapped = new QueryFailedError(
      'INSERT INTO shipments …',
      ['1 Secret Street'],
      sqlError('23505', 'Key (address)=(1 Secret Street) already exists'),
    );
    expect(classifiedReason(wrapped)).toBe('a database error (23505)');
  });

  it('names an infrastructure fault by what it means, with its SQLSTATE, never by the driver class', () => {
    const failed = (code: string) => new QueryFailedError('UPDATE …', [], sqlError(code, 'driver words'));
    expect(classifiedReason(failed('25006'))).toBe('the database is read-only (25006)');
    expect(classifiedReason(failed('57P01'))).toBe('the database ended the session (57P01)');
    expect(classifiedReason(failed('57014'))).toBe('a statement timed out (57014)');
    expect(classifiedReason(failed('08006'))).toBe('the database connection failed (08006)');
    expect(classifiedReason(Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' }))).toBe(
      'the database could not be reached',
    );
    expect(classifiedReason(new Error('Connection terminated unexpectedly'))).toBe('the database connection was lost');
    // Classified where it was thrown: a transport's fault, another process's verdict, in their own words.
    expect(classifiedReason(Object.assign(new Error('the broker is not reachable'), { transient: true }))).toBe(
      'the broker is not reachable',
    );
    expect(classifiedReason(Object.assign(new Error('the ledger refuses this account'), { transient: false }))).toBe(
      'the ledger refuses this account',
    );
    expect(classifiedReason(new QueryFailedError('SELECT 1', [], new Error('no code')))).toBe('a database error');
  });

  it("keeps a handler's own message, shortened", () => {
    expect(classifiedReason(new Error('card declined'))).toBe('card declined');
    expect(classifiedReason(new Error('x'.repeat(1000))).length).toBeLessThanOrEqual(301);
  });
});

for (const kind of databaseKinds()) {
  describe(`real database faults, on ${kind}`, () => {
    it('a statement timeout and a read-only transaction are infrastructure faults; a unique violation is not', async () => {
      const db = await createTestDatabase(kind, 1);
      try {
        const run = async (sql: string[]): Promise<unknown> => {
          const ds = await new DataSource({
            ...(await buildDataSourceOptions(db.target, { migrations: [] })),
            logging: false,
          }).initialize();
          try {
            for (const statement of sql) await ds.query(statement);
            return null;
          } catch (error) {
            return error;
          } finally {
            await ds.destroy();
          }
        };
        // PGlite runs one statement at a time in the process and enforces no statement_timeout.
        if (kind === 'postgres')
          expect(isTransientInfrastructureError(await run(['SET statement_timeout = 10', 'SELECT pg_sleep(1)']))).toBe(true);
        expect(isTransientInfrastructureError(await run(['SET default_transaction_read_only = on', 'CREATE TABLE t (id int)']))).toBe(true);
        expect(isTransientInfrastructureError(await run(['CREATE TABLE u (id int PRIMARY KEY)', 'INSERT INTO u VALUES (1), (1)']))).toBe(
          false,
        );
      } finally {
        await db.drop();
      }
    });
  });
}
