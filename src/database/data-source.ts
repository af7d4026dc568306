import { DataSource } from 'typeorm';
import { allMigrations } from '../../migrations';
import { loadAppConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source-options';

/**
 * The DataSource the TypeORM CLI loads (`npm run migration:run`). Same target and migrations as the app.
 */
const config = loadAppConfig();
export default buildDataSourceOptions(
  { url: config.databaseUrl, pgliteDataDir: config.pgliteDataDir, poolSize: 2 },
  { migrations: allMigrations },
).then((options) => new DataSource(options));
