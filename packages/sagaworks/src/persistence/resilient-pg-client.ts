import pg from 'pg';
import { infrastructureCodeOf } from '../runtime/infrastructure-error.js';

/**
 * SQLSTATEs after which the session itself may be what is wrong: a session opened while the database was
 * read-only, or had a short `statement_timeout` or `lock_timeout`, keeps that setting after the database is
 * fixed, and a busy pool never idles it out.
 */
const SESSION_FAULTS = new Set(['25006', '57014', '55P03']);

export type AnyQuery = (this: pg.Client, ...args: unknown[]) => unknown;

/** pg's own query(), called with an explicit receiver by the subclasses' wrappers. */
// eslint-disable-next-line @typescript-eslint/unbound-method -- always invoked through .apply with a client
export const pgQuery = pg.Client.prototype.query as AnyQuery;
type Callback = (error: unknown, ...rest: unknown[]) => void;

/**
 * A `pg` client that no connection fault can turn into a crash, and that never outlives a session fault.
 *
 * - It listens for `'error'` from birth. pg emits `'error'` on a client whose backend was terminated (a
 *   failover, a proxy restart, an idle-session killer); on a new pooled client that can happen before TypeORM
 *   attaches its own listener, and an `'error'` nobody listens to ends the process. The pool drops the broken
 *   client either way, and the query in flight still fails with the error.
 * - After a session fault (read-only transaction, statement or lock timeout) it ends itself as the statement
 *   fails, so the pool opens a fresh session with the database's current settings instead of reusing one
 *   that keeps failing after the database is fixed.
 *
 * Give it to the pool with TypeORM's `extra: { Client: ResilientPgClient }` (or use {@link PreparedStatementClient},
 * which is one).
 */
export class ResilientPgClient extends pg.Client {
  /** The last connection error this client met (kept for diagnostics; the pool has already discarded it). */
  lastConnectionError: unknown = null;

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', (error: unknown) => {
      this.lastConnectionError = error;
    });
  }

  /** Called with every failed statement's error; ends the session after a session fault. */
  protected observeFailure(error: unknown): void {
    const code = infrastructureCodeOf(error);
    if (!code || !SESSION_FAULTS.has(code)) return;
    // At once, before the caller hands the client back: the pool then drops it on release instead of lending
    // it again. A ROLLBACK that follows in a transaction fails too, which TypeORM ignores; the caller keeps the
    // statement's own error.
    this.end().catch(() => undefined);
  }
}

/** Runs pg's own query with the call shape unchanged, and shows each failure to `observeFailure`. */
export function observedQuery(client: pg.Client, base: AnyQuery, args: unknown[]): unknown {
  const observe = (error: unknown) => (client as unknown as { observeFailure(e: unknown): void }).observeFailure(error);
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    const callback = last as Callback;
    const wrapped: Callback = (error, ...rest) => {
      if (error) observe(error);
      callback(error, ...rest);
    };
    return base.apply(client, [...args.slice(0, -1), wrapped]);
  }
  const result = base.apply(client, args);
  if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(undefined, observe);
  return result;
}

// Assigned rather than declared as an override: pg's query() has a dozen overloads that no single signature
// satisfies. Every call shape passes through unchanged.
(ResilientPgClient.prototype as unknown as { query: AnyQuery }).query = function (this: pg.Client, ...args: unknown[]): unknown {
  return observedQuery(this, pgQuery, args);
};
