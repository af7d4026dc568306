import { type DataSource, type Migration, MigrationExecutor } from 'typeorm';

/**
 * The advisory lock key that serializes migrations: the first 8 bytes of sha1('sagaworks:migrations') as a
 * signed bigint. Any process migrating this database through {@link runMigrationsExclusively} takes it.
 */
export const MIGRATION_LOCK_KEY = '-6204170428996683208';

/**
 * Runs the DataSource's pending migrations while holding a session advisory lock, on one connection.
 *
 * TypeORM's own `migrationsRun` takes no lock: two instances starting together on an empty database both see the
 * same migrations pending, and the second fails on a `CREATE TABLE` the first has just committed. Under the
 * lock the second waits, then finds nothing pending. The lock, the migrations table and the migrations share one
 * connection, so this also works with a pool of one and on PGlite's single session.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query(`SELECT pg_advisory_lock($1::bigint)`, [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = dataSource.options.migrationsTransactionMode ?? 'each';
      return await executor.executePendingMigrations();
    } finally {
      await runner.query(`SELECT pg_advisory_unlock($1::bigint)`, [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
