/**
 * `sagaworks/pglite`: an embedded PostgreSQL (PGlite, an optional peer dependency) as TypeORM's driver, for
 * development, demos and tests that need no database server.
 */
export { pgliteDriver, PglitePool, PgliteSessionClient } from './pglite-pool.js';
export { createPgliteOptions, type PgliteConnectionOptions } from './pglite-options.js';
