import type { SagaState } from '../domain/saga-state.js';
import type { SagaStatus } from '../domain/saga-status.js';
import type { SqlRunner } from './saga-store.js';

/** Where a page ends: the last row's creation time (to the microsecond, as PostgreSQL stores it) and id. */
export interface SagaListCursor {
  /** ISO-8601 in UTC with up to six fractional digits: a JavaScript Date would drop the microseconds. */
  createdAt: string;
  id: string;
}

export interface SagaListFilter {
  status?: SagaStatus;
  type?: string;
  correlationId?: string;
  /** Only sagas waiting at their current step (RUNNING, that step WAITING for a signal or a reply). */
  waiting?: boolean;
  /** Rows per page; the caller bounds it. */
  limit: number;
  /** Only rows after this one in the list's order (older, or as old with a smaller id). */
  after?: SagaListCursor;
}

/** A saga as a list shows it: its row without the data and the lease, and no history. */
export interface SagaSummary {
  id: string;
  type: string;
  correlationId: string;
  status: SagaStatus;
  stepIndex: number;
  steps: SagaState['steps'];
  failureReason: string | null;
  dueAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface SagaListPage {
  items: SagaSummary[];
  /** Where the next page starts; null when this page is the last. */
  next: SagaListCursor | null;
}

interface SummaryRow {
  id: string;
  type: string;
  correlation_id: string;
  status: SagaStatus;
  step_index: number;
  steps: SagaState['steps'];
  failure_reason: string | null;
  due_at: Date | string | null;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
  cursor_at: string;
}

// No `data` (the saga's payload, the biggest column by far) and nothing of the lease: a list never shows them.
const SUMMARY_COLUMNS = `id, type, correlation_id, status, step_index, steps, failure_reason, due_at, version,
  created_at, updated_at, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

function toSummary(row: SummaryRow): SagaSummary {
  return {
    id: row.id,
    type: row.type,
    correlationId: row.correlation_id,
    status: row.status,
    stepIndex: row.step_index,
    steps: row.steps,
    failureReason: row.failure_reason,
    dueAt: row.due_at === null ? null : toDate(row.due_at),
    version: Number(row.version),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * One page of sagas, newest first, in ONE statement whatever the page size: keyset pagination on
 * (created_at DESC, id DESC), which the indexes of `IndexSagaList1766000000000` serve for the plain list and
 * for each filter, so a page costs the same far down the list as at its top. One row more than the page is
 * read, to tell whether another page follows.
 */
export async function listSagas(db: SqlRunner, filter: SagaListFilter): Promise<SagaListPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status) where.push(`status = $${params.push(filter.status)}`);
  if (filter.type) where.push(`type = $${params.push(filter.type)}`);
  if (filter.correlationId) where.push(`correlation_id = $${params.push(filter.correlationId)}`);
  // Only a RUNNING saga waits, and saying so lets the status index serve the page in the list's order; the current
  // step's status is then read from each row of that range.
  if (filter.waiting) where.push(`status = 'RUNNING'`, `steps -> step_index ->> 'status' = 'WAITING'`);
  if (filter.after) {
    const at = params.push(filter.after.createdAt);
    const id = params.push(filter.after.id);
    where.push(`(created_at, id) < ($${at}::timestamptz, $${id}::uuid)`);
  }
  const sql = `SELECT ${SUMMARY_COLUMNS} FROM saga_instance ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
               ORDER BY created_at DESC, id DESC LIMIT $${params.push(filter.limit + 1)}`;
  const rows = await db.query<SummaryRow[]>(sql, params);
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toSummary),
    next: rows.length > filter.limit && last ? { createdAt: last.cursor_at, id: last.id } : null,
  };
}
