import type { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { PreparedStatementClient } from '../persistence/prepared-statement.js';

/**
 * `pg`'s client speaking to the PGlite session through PGlite's own wire-protocol connection, so the saga store's
 * {@link prepared} statements are parsed and planned once for the session, as on a PostgreSQL server, and rows are
 * parsed by `pg` exactly as they are there.
 *
 * It never ends itself after a session fault, as its PostgreSQL parent does: there is only one session, and ending
 * the client cannot give a fresh one.
 */
export class PgliteSessionClient extends PreparedStatementClient {
  /** `config.pglite` is the session; each client gets its own protocol connection to it (one cannot be reopened). */
  constructor(config: pg.ClientConfig & { pglite: PGlite }) {
    super({ ...config, connection: createPgConfig(config.pglite).connection } as pg.ClientConfig);
  }

  protected override observeFailure(): void {
    // One session: the next borrower gets the same one whatever happens here.
  }
}

type EndCallback = (error?: Error) => void;

/** What pg-pool 3.14 reads and its typings lag behind (an awaited onConnect), and the session for the clients. */
interface PglitePoolConfig extends Omit<pg.PoolConfig, 'onConnect' | 'Client'> {
  pglite: PGlite;
  Client: typeof PgliteSessionClient;
  onConnect: (client: pg.ClientBase) => Promise<void>;
}

/**
 * `pg`'s own pool over a single PGlite session, handed to TypeORM as its `driver`. It lends its one client to one
 * borrower at a time, in FIFO order, so transactions are isolated; concurrency is serialised, which is the honest
 * behaviour of a single session.
 *
 * The pool owns the PGlite instance: TypeORM's `destroy()` ends the pool, and that closes the database.
 */
export class PglitePool extends pg.Pool {
  constructor(
    private readonly db: PGlite,
    options: pg.PoolConfig = {},
  ) {
    let replacing = false;
    const config: PglitePoolConfig = {
      ...options,
      pglite: db,
      Client: PgliteSessionClient,
      max: 1,
      // Never idled out or timed out: a replacement client would be the same session.
      idleTimeoutMillis: 0,
      connectionTimeoutMillis: 0,
      // A client is replaced only after it was released broken, possibly inside a transaction. On a server its
      // session would close and roll that back; here the session lives on, so the replacement rolls it back.
      onConnect: async (client) => {
        if (replacing) await client.query('ROLLBACK');
        replacing = true;
      },
    };
    super(config as unknown as pg.PoolConfig);
  }

  override end(): Promise<void>;
  override end(callback: EndCallback): void;
  override end(callback?: EndCallback): Promise<void> | void {
    const ended = super.end().then(() => (this.db.closed ? undefined : this.db.close()));
    if (!callback) return ended;
    ended.then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }
}

/** The `pg` module, as TypeORM's `driver`, with a Pool that always lends the given PGlite session. */
export function pgliteDriver(db: PGlite): typeof pg {
  return {
    ...pg,
    Pool: class extends PglitePool {
      constructor(options?: pg.PoolConfig) {
        super(db, options);
      }
    },
  };
}
