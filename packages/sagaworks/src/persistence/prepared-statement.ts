import { createHash } from 'node:crypto';
import pg from 'pg';
import { type AnyQuery, observedQuery, pgQuery, ResilientPgClient } from './resilient-pg-client.js';

/**
 * Marks a SQL text as worth preparing: a hot, constant statement. The mark is a comment, so every driver runs
 * the text unchanged; only {@link PreparedStatementClient} acts on it.
 */
export const PREPARED_MARK = '/* prepared */';

/** Returns `sql` marked for {@link PreparedStatementClient}. Use it only on constant texts (each becomes one
 * server-side statement per connection). */
export function prepared(sql: string): string {
  return `${PREPARED_MARK} ${sql}`;
}

// Marked texts are constants, so this stays small; the cap only guards against a dynamic text marked by mistake.
const MAX_NAMES = 500;
const names = new Map<string, string>();

function nameFor(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMES) {
    name = `sw_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A `pg` client that sends each {@link prepared} statement as a named prepared statement, so a connection parses
 * and plans it once and later runs only Bind/Execute. Parse and plan were about half of the server's CPU per
 * saga, since the saga store's statements are long data-modifying CTEs.
 *
 * It is a {@link ResilientPgClient}. Give it to the pool with TypeORM's `extra: { Client: PreparedStatementClient }`. Leave it out behind a
 * transaction-pooling proxy that cannot keep named statements per connection (PgBouncer before 1.21).
 */
export class PreparedStatementClient extends ResilientPgClient {}

// Assigned rather than declared as an override: pg's query() has a dozen overloads that no single signature
// satisfies. Every call shape passes through unchanged except (markedText, values).
(PreparedStatementClient.prototype as unknown as { query: AnyQuery }).query = function (this: pg.Client, ...args: unknown[]): unknown {
  const base = pgQuery;
  const [text, values, ...rest] = args;
  if (typeof text === 'string' && Array.isArray(values) && text.startsWith(PREPARED_MARK)) {
    const name = nameFor(text);
    if (name && rest.length === 0) return namedQuery(this, name, text, values);
    if (name) return observedQuery(this, base, [{ name, text, values }, ...rest]);
  }
  return observedQuery(this, base, args);
};

/**
 * Runs a named statement as pg's own Query object built from the text, then named: pg copies a query given as a
 * config object property by property (descriptors and all), a cost paid on every statement of the hot path.
 */
function namedQuery(client: pg.Client, name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const query = new pg.Query(text, values) as pg.Query & {
      name: string;
      callback: (error: Error | null, result: pg.QueryResult) => void;
    };
    query.name = name;
    query.callback = (error, result) => {
      if (!error) return resolve(result);
      (client as unknown as { observeFailure(e: unknown): void }).observeFailure(error);
      reject(error);
    };
    pgQuery.call(client, query);
  });
}
