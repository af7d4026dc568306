import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, postgresKinds, type TestDatabase } from '../../../../test/support/test-database.js';
import { waitUntil } from '../../../../test/support/wait-for.js';
import { ResilientPgClient } from './resilient-pg-client.js';

/** A pool of one connection, as the app's, with the given client class. */
async function pooled(url: string, Client: typeof pg.Client): Promise<DataSource> {
  return new DataSource({ type: 'postgres', url, poolSize: 1, logging: false, extra: { Client } }).initialize();
}

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (e: unknown) => e,
  );
const codeOf = (e: unknown): unknown => (e as { code?: unknown } | null)?.code;

// Connection faults are PostgreSQL's: PGlite runs in the process and has no backend to lose.
for (const kind of postgresKinds()) {
  describe(`ResilientPgClient, on ${kind}`, () => {
    let db: TestDatabase;
    let admin: pg.Client;
    const database = () => new URL(db.target.url!).pathname.slice(1);

    beforeAll(async () => {
      db = await createTestDatabase(kind, 2);
      admin = new pg.Client({ connectionString: db.target.url });
      await admin.connect();
      await admin.query('CREATE TABLE t (id int)');
    });

    afterAll(async () => {
      await admin.query(`ALTER DATABASE ${database()} RESET ALL`).catch(() => undefined);
      await admin.end();
      await db.drop();
    });

    it('when its backend is terminated while nobody else listens, the process lives and the client records why', async () => {
      const client = new ResilientPgClient({ connectionString: db.target.url });
      await client.connect();
      expect(client.listenerCount('error')).toBeGreaterThan(0);
      const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await waitUntil(() => client.lastConnectionError !== null, 10_000);
      expect(String(client.lastConnectionError)).toMatch(/terminat/i);
    });

    for (const fault of [
      { name: 'read-only', set: 'default_transaction_read_only = on', code: '25006', statement: 'INSERT INTO t VALUES (1)' },
      {
        // Long enough for the session's own opening statements on a busy machine (TypeORM asks for the version).
        name: 'a 100 ms statement timeout',
        set: 'statement_timeout = 100',
        code: '57014',
        statement: 'INSERT INTO t SELECT 1 FROM pg_sleep(0.4)',
      },
    ]) {
      it(`when the database was ${fault.name} as the session opened, the next statement after the fix gets a fresh session`, async () => {
        await admin.query(`ALTER DATABASE ${database()} SET ${fault.set}`);
        const plain = await pooled(db.target.url!, pg.Client);
        const resilient = await pooled(db.target.url!, ResilientPgClient);
        try {
          expect(codeOf(await failure(plain.query(fault.statement)))).toBe(fault.code);
          expect(codeOf(await failure(resilient.query(fault.statement)))).toBe(fault.code);
          await admin.query(`ALTER DATABASE ${database()} RESET ALL`);
          await new Promise((resolve) => setTimeout(resolve, 50));
          // The plain pool keeps its session, and with it the fault, after the database is fixed ...
          expect(codeOf(await failure(plain.query(fault.statement)))).toBe(fault.code);
          // ... the resilient one ended that session, so its next statement runs on a new one.
          expect(await failure(resilient.query(fault.statement))).toBeNull();
        } finally {
          await admin.query(`ALTER DATABASE ${database()} RESET ALL`);
          await plain.destroy();
          await resilient.destroy();
        }
      });
    }
  });
}
