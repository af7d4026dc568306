import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { pgliteDriver } from './pglite-pool.js';

/** The TypeORM connection options that run on PGlite; spread them into your own (entities, migrations, ...). */
export interface PgliteConnectionOptions {
  type: 'postgres';
  driver: typeof pg;
  uuidExtension: 'pgcrypto';
  installExtensions: false;
  database: string;
}

/**
 * Opens a PGlite database at `dataDir` (a directory, created if missing, or `memory://` for a throwaway one)
 * and returns TypeORM options for it. Never open one directory from two processes: PGlite has no file locking.
 */
export async function createPgliteOptions(dataDir = 'memory://'): Promise<PgliteConnectionOptions> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  return {
    type: 'postgres',
    driver: pgliteDriver(db),
    // PGlite has no uuid-ossp; gen_random_uuid() is core PostgreSQL since 13.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    database: 'postgres',
  };
}
