/**
 * What must never reach a client: a stack frame, SQL, a TypeORM or driver error name or message, a PostgreSQL
 * identifier. Suites scan every body they receive with it.
 */
export const LEAK =
  /at .*\.(js|ts)|SELECT |INSERT |UPDATE .* SET|QueryFailedError|ECONNREFUSED|ECONNRESET|pg_|duplicate key|violates|relation ".*"|syntax error at/;

/** The leaking fragment of `body`, or null. */
export function leakIn(body: string): string | null {
  const match = LEAK.exec(body);
  return match ? body.slice(Math.max(0, match.index - 40), match.index + 80) : null;
}
