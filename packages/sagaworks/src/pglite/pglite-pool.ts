import { EventEmitter } from 'node:events';
import type { PGlite, Results } from '@electric-sql/pglite';

type QueryCallback = (err: Error | null, result?: PgShapedResult) => void;
type ReleaseFn = (err?: Error | boolean) => void;
type ConnectCallback = (err: Error | null, client?: PgliteClient, release?: ReleaseFn) => void;

/** The subset of `pg`'s result that TypeORM reads. */
export interface PgShapedResult {
  rows: Record<string, unknown>[];
  rowCount: number;
  command: string;
  fields: { name: string; dataTypeID: number }[];
}

function toPgResult(result: Results<Record<string, unknown>>, sql: string): PgShapedResult {
  const command = (result as { command?: string }).command ?? sql.trimStart().split(/\s+/, 1)[0].toUpperCase();
  const affected = result.affectedRows ?? 0;
  return {
    rows: result.rows,
    rowCount: command === 'SELECT' ? result.rows.length : affected || result.rows.length,
    command,
    fields: result.fields,
  };
}

/**
 * One PGlite session seen through a `pg.PoolClient`-shaped facade.
 */
class PgliteClient extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  query(
    text: string | { text: string; values?: unknown[] },
    params?: unknown[] | QueryCallback,
    cb?: QueryCallback,
  ): Promise<PgShapedResult> | void {
    const sql = typeof text === 'string' ? text : text.text;
    const values = typeof text === 'string' ? (Array.isArray(params) ? params : undefined) : text.values;
    const callback = typeof params === 'function' ? params : cb;
    const run = async (): Promise<PgShapedResult> => {
      if (values && values.length > 0) return toPgResult(await this.db.query(sql, values), sql);
      // Parameterless SQL may hold several statements (TypeORM migrations, DDL); exec() accepts those.
      const results = await this.db.exec(sql);
      const last = results[results.length - 1] ?? { rows: [], fields: [], affectedRows: 0 };
      return toPgResult(last, sql);
    };
    const promise = run();
    if (!callback) return promise;
    promise.then(
      (r) => callback(null, r),
      (e: Error) => callback(e),
    );
  }
}

/**
 * A `pg.Pool`-shaped pool over a single PGlite session, handed to TypeORM as its `driver`.
 *
 * PGlite is one session. Sharing it between TypeORM query runners (as the `typeorm-pglite` shim does) lets one
 * runner's ROLLBACK undo another's work. This pool lends the one client to one borrower at a time, in FIFO order,
 * so transactions are isolated; concurrency is serialised, which is the honest behaviour of a single session.
 */
export class PglitePool extends EventEmitter {
  private readonly client: PgliteClient;
  private busy = false;
  private readonly waiters: Array<() => void> = [];
  private ended = false;

  constructor(private readonly db: PGlite) {
    super();
    this.client = new PgliteClient(db);
  }

  get totalCount(): number {
    return 1;
  }

  get idleCount(): number {
    return this.busy ? 0 : 1;
  }

  get waitingCount(): number {
    return this.waiters.length;
  }

  connect(cb?: ConnectCallback): Promise<PgliteClient> | void {
    const acquired = this.acquire().then(() => this.client);
    if (!cb) {
      return acquired.then((client) => {
        (client as PgliteClient & { release: ReleaseFn }).release = () => this.releaseClient();
        return client;
      });
    }
    acquired.then(
      (client) => cb(null, client, () => this.releaseClient()),
      (e: Error) => cb(e),
    );
  }

  async query(text: string, params?: unknown[]): Promise<PgShapedResult> {
    await this.acquire();
    try {
      return (await this.client.query(text, params)) as PgShapedResult;
    } finally {
      this.releaseClient();
    }
  }

  end(cb?: (err?: Error) => void): Promise<void> | void {
    this.ended = true;
    // The pool owns the PGlite instance: TypeORM's destroy() is the only close a caller makes.
    const closed = this.db.closed ? Promise.resolve() : this.db.close();
    if (!cb) return closed;
    closed.then(
      () => cb(),
      (e: Error) => cb(e),
    );
  }

  private acquire(): Promise<void> {
    if (this.ended) return Promise.reject(new Error('PGlite pool has ended'));
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private releaseClient(): void {
    const next = this.waiters.shift();
    // Hand over on the next turn, not in this microtask chain: back-to-back borrowers would otherwise form one
    // unbroken promise chain that starves timers and I/O (the timeout job, HTTP) for as long as load lasts.
    if (next) setImmediate(next);
    else this.busy = false;
  }
}

/** A `pg`-module-shaped object whose Pool always lends the given PGlite session. */
export function pgliteDriver(db: PGlite): {
  Pool: new () => PglitePool;
  defaults: Record<string, unknown>;
  types: Record<string, unknown>;
} {
  return {
    Pool: class extends PglitePool {
      constructor() {
        super(db);
      }
    },
    defaults: {},
    types: { setTypeParser: () => undefined, getTypeParser: () => (v: unknown) => v },
  };
}
