import { afterAll, beforeAll } from '@jest/globals';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../../../test/support/test-database.js';
import { sagaMigrations } from '../persistence/migrations/index.js';
import { runMigrationsExclusively } from '../persistence/run-migrations-exclusively.js';

/** A fresh database of `kind` with the saga migrations run, opened before the enclosing block and dropped after. */
export interface MigratedSagaDatabase {
  readonly db: TestDatabase;
  readonly ds: DataSource;
}

/** Registers the enclosing block's beforeAll/afterAll; read `db` and `ds` inside its tests. */
export function migratedSagaDatabase(kind: DatabaseKind): MigratedSagaDatabase {
  let db: TestDatabase | undefined;
  let ds: DataSource | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ds = await new DataSource(await buildDataSourceOptions(db.target, { migrations: sagaMigrations })).initialize();
    await runMigrationsExclusively(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the migrated database is opened in beforeAll; read it inside a test');
    return value;
  };
  return {
    get db() {
      return opened(db);
    },
    get ds() {
      return opened(ds);
    },
  };
}
