import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import { PreparedStatementClient, ResilientPgClient, runMigrationsExclusively } from 'sagaworks';
import { createPgliteOptions } from 'sagaworks/pglite';
import { QueryErrorLogger } from './query-error-logger';

/** Where the database lives: a PostgreSQL URL, or a PGlite data directory (`memory://` for throwaway ones). */
export interface DatabaseTarget {
  /** `postgres://...`; when absent the embedded PGlite at `pgliteDataDir` is used. */
  url?: string;
  /** PGlite data directory, or `memory://`. Never open one directory from two processes. */
  pgliteDataDir: string;
  /** Connections in the `pg` pool (ignored by PGlite, which is one session). */
  poolSize: number;
  /** Named prepared statements for the statements marked with `prepared()` (default true; PostgreSQL only). */
  preparedStatements?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type MigrationList = MixedList<Function | string>;
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityList = MixedList<Function | string | EntitySchema>;

export function isPglite(target: DatabaseTarget): boolean {
  return !target.url;
}

/**
 * The one place that turns a {@link DatabaseTarget} into TypeORM options, shared by the app, the migration CLI
 * and the tests, so all three talk to the database the same way.
 */
export async function buildDataSourceOptions(
  target: DatabaseTarget,
  parts: { migrations: MigrationList; entities?: EntityList; migrationsRun?: boolean },
): Promise<DataSourceOptions> {
  const common = {
    type: 'postgres' as const,
    entities: parts.entities ?? [],
    migrations: parts.migrations,
    migrationsRun: parts.migrationsRun ?? false,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: ['error' as const],
    // Failed queries are logged without their parameters: they carry personal data.
    logger: new QueryErrorLogger(),
  };
  if (target.url) {
    return {
      ...common,
      url: target.url,
      poolSize: target.poolSize,
      applicationName: 'sagaworks',
      // Every pooled client survives a terminated backend and is recycled after a session fault.
      extra: { Client: target.preparedStatements === false ? ResilientPgClient : PreparedStatementClient },
    };
  }
  return { ...common, ...(await createPgliteOptions(target.pgliteDataDir)) };
}

/**
 * A `dataSourceFactory` for `TypeOrmModule`: connects, then runs the pending migrations under the migration
 * advisory lock, so several instances starting together on one database migrate it once, one after another.
 * Use it with `migrationsRun: false` (TypeORM's own run takes no lock).
 */
export async function connectAndMigrate(options?: DataSourceOptions): Promise<DataSource> {
  if (!options) throw new Error('connectAndMigrate needs the DataSource options');
  const dataSource = await new DataSource(options).initialize();
  try {
    await runMigrationsExclusively(dataSource);
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
  return dataSource;
}
