import type { Sql } from './invariants';

/**
 * Read-backs the chaos suites share: what the saga tables say about attempts, takeovers and infrastructure waits.
 * Good orders are the ones paid with `tok_visa` that ship (not to AQ) and fit in stock; the suites pass their
 * saga ids rather than guessing them from the saga data.
 */

/** Steps of the given sagas that were dispatched more than once as a new attempt (`steps[].attempts` > 1). */
export async function respentSteps(sql: Sql, sagaIds: string[]): Promise<{ saga_id: string; step: string; attempts: number }[]> {
  return sql(
    `SELECT s.id AS saga_id, st->>'name' AS step, (st->>'attempts')::int AS attempts
     FROM saga_instance s, jsonb_array_elements(s.steps) st
     WHERE s.id = ANY($1::uuid[]) AND (st->>'attempts')::int > 1`,
    [sagaIds],
  );
}

export interface HistoryCounts {
  /** "resumed by <owner> after lease expiry": another pass took the saga over because its lease lapsed. */
  resumed: number;
  /** ...of those, the ones whose deadline had passed too ("so the attempt is not spent"). */
  resumedUnspent: number;
  /** "attempt N timed out after ...": a deadline spent an attempt. */
  timedOut: number;
  /** "attempt N waits on infrastructure (...)": a handler met a transient fault, nothing spent. */
  infrastructureWaits: number;
  /** Distinct sagas with at least one infrastructure wait. */
  sagasThatWaited: number;
}

/** Counts the history reasons the chaos suites care about, over all sagas or the given ones. */
export async function historyCounts(sql: Sql, sagaIds?: string[]): Promise<HistoryCounts> {
  const [row] = await sql<HistoryCounts>(
    `SELECT count(*) FILTER (WHERE reason LIKE 'resumed by % after lease expiry%')::int AS resumed,
            count(*) FILTER (WHERE reason LIKE '%so the attempt is not spent')::int AS "resumedUnspent",
            count(*) FILTER (WHERE reason LIKE '%timed out after%')::int AS "timedOut",
            count(*) FILTER (WHERE reason LIKE '%waits on infrastructure%')::int AS "infrastructureWaits",
            count(DISTINCT saga_id) FILTER (WHERE reason LIKE '%waits on infrastructure%')::int AS "sagasThatWaited"
     FROM saga_history WHERE ($1::uuid[] IS NULL OR saga_id = ANY($1::uuid[]))`,
    [sagaIds ?? null],
  );
  return row;
}

/** Who resumed sagas after lease expiry, by the instance id in the reason ("resumed by <id> after lease expiry"). */
export async function resumedByOwner(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql<{ owner: string; n: number }>(
    `SELECT substring(reason FROM '^resumed by (.+) after lease expiry') AS owner, count(*)::int AS n
     FROM saga_history WHERE reason LIKE 'resumed by % after lease expiry%' GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.owner, r.n]));
}

export async function failedSagas(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM saga_instance WHERE status = 'FAILED'`);
  return row.n;
}

/** Saga ids of the orders placed under the given Idempotency-Keys. */
export async function sagaIdsOf(sql: Sql, keys: string[]): Promise<string[]> {
  const rows = await sql<{ saga_id: string }>(
    `SELECT saga_id FROM orders WHERE idempotency_key = ANY($1::text[]) AND saga_id IS NOT NULL`,
    [keys],
  );
  return rows.map((r) => r.saga_id);
}

/** A saga's history, oldest first, as short lines (for a report that must show why something happened). */
export async function historyLines(sql: Sql, sagaId: string): Promise<string[]> {
  const rows = await sql<{
    seq: number;
    step: string | null;
    from_status: string | null;
    to_status: string;
    reason: string | null;
    at: Date;
  }>(`SELECT seq, step, from_status, to_status, reason, at FROM saga_history WHERE saga_id = $1 ORDER BY seq`, [sagaId]);
  return rows.map(
    (r) => `${new Date(r.at).toISOString().slice(11, 23)} ${r.step ?? '-'} ${r.from_status ?? '-'}->${r.to_status} ${r.reason ?? ''}`,
  );
}
