import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseTarget } from '../../src/database/data-source-options';

export type DatabaseKind = 'pglite' | 'postgres';

/** A database a suite owns: PGlite in memory, or a fresh PostgreSQL database dropped afterwards. */
export interface TestDatabase {
  kind: DatabaseKind;
  target: DatabaseTarget;
  drop(): Promise<void>;
}

/**
 * The databases every suite runs on: PGlite always, plus real PostgreSQL when `TEST_DATABASE_URL` is set.
 * With `CI=true` a missing `TEST_DATABASE_URL` is an error, so the PostgreSQL suites can never be skipped silently.
 */
export function databaseKinds(): DatabaseKind[] {
  if (process.env.TEST_DATABASE_URL) return ['pglite', 'postgres'];
  if (process.env.CI === 'true') {
    throw new Error('CI=true but TEST_DATABASE_URL is unset: the PostgreSQL suites must run in CI (see .ci/run)');
  }
  return ['pglite'];
}

/** Only the real-PostgreSQL kind; throws in CI if it is unavailable, returns [] locally. */
export function postgresKinds(): DatabaseKind[] {
  return databaseKinds().filter((k) => k === 'postgres');
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(kind: DatabaseKind, poolSize = 10): Promise<TestDatabase> {
  if (kind === 'pglite') {
    return { kind, target: { pgliteDataDir: 'memory://', poolSize: 1 }, drop: () => Promise.resolve() };
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `sagaworks_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    kind,
    target: { url: withDatabase(adminUrl, name), pgliteDataDir: 'memory://', poolSize },
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
