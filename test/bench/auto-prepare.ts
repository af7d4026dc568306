import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * EXPERIMENT (`--auto-prepare`): turns every parameterised `pg.Client#query(text, values)` into a named prepared
 * statement, so each connection parses a statement once and PostgreSQL may switch to a cached generic plan after
 * five executions. Measures what server-side statement preparation would save; it is not how the app runs.
 * Statements starting with a no-prepare comment stay unnamed.
 */
export function enableAutoPrepare(): void {
  const proto = pg.Client.prototype as unknown as { query: (this: object, ...args: unknown[]) => unknown };
  const original = proto.query;
  const names = new Map<string, string>();
  proto.query = function (this: object, ...args: unknown[]): unknown {
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && !text.startsWith('/* no-prepare */')) {
      let name = names.get(text);
      if (!name) {
        name = `bench_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
        names.set(text, name);
      }
      return original.call(this, { name, text, values }, ...args.slice(2));
    }
    return original.apply(this, args);
  };
}
