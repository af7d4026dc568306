import { SagaStore, type Lease, type SqlRunner } from 'sagaworks';

/** The rows the claim-plan suite holds. */
export const SCALE_TOTAL = 100_000;
/** The rows `--scale` holds (issue 18: one claim among a million rows, 100 due, under 20 ms). */
export const BENCH_SCALE_TOTAL = 1_000_000;
export const SCALE_DUE = 100;
export const WAKE_INDEX = 'saga_instance_wake_idx';

/**
 * `total` in-flight saga rows in one statement; the first `due` woke a minute ago, the others wake a year or more
 * from now, each at its own instant (a realistic spread for the index). Their type is no registered definition,
 * so a timeout job that claims them leaves them alone. Ids ascend (appended to the primary key's btree rather
 * than scattered over it), which keeps the insert quick enough for a test.
 */
export async function insertSyntheticSagas(db: SqlRunner, total = SCALE_TOTAL, due = SCALE_DUE): Promise<void> {
  await db.query(
    `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, failure_reason,
       due_at, lease_owner, lease_until, wake_at, version, history_seq, definition_hash, created_at, updated_at)
     SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'bench-synthetic', 'synthetic-' || g, 'RUNNING', 0, 'work',
       '[{"name":"work","status":"EXECUTING","attempts":1,"compensationAttempts":0}]'::jsonb, '{}'::jsonb, NULL,
       t.at, 'bench-elsewhere', t.at, t.at, 1, 1, 'synthetic', now(), now()
     FROM generate_series(1, $1::int) AS g,
       LATERAL (SELECT CASE WHEN g <= $2::int THEN now() - interval '1 minute' + g * interval '1 millisecond'
                            ELSE now() + interval '1 year' + g * interval '1 second' END AS at) AS t`,
    [total, due],
  );
}

export interface CapturedQuery {
  sql: string;
  params: unknown[];
}

/**
 * The SQL and parameters one `SagaStore` call sends, taken from the store itself (a runner that records and
 * answers nothing), so the plan checked is the plan of the query that runs, not of a copy.
 */
export async function captureStoreQuery(call: (store: SagaStore) => Promise<unknown>): Promise<CapturedQuery> {
  let captured: CapturedQuery | null = null;
  const recorder: SqlRunner = {
    query: ((sql: string, params?: unknown[]) => {
      captured ??= { sql, params: params ?? [] };
      return Promise.resolve([]);
    }) as SqlRunner['query'],
  };
  await call(new SagaStore(recorder));
  if (!captured) throw new Error('the store sent no query');
  return captured;
}

/** The timeout job's claim query, as `SagaStore.claimDue` sends it. */
export function captureClaimQuery(now: Date, limit: number, lease: Lease): Promise<CapturedQuery> {
  return captureStoreQuery((store) => store.claimDue(now, limit, lease));
}

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

export interface PlanSummary {
  /** Every node type, depth first ("ModifyTable", "Limit", "Index Scan", ...). */
  nodeTypes: string[];
  /** Scans as "<node type> on <relation> [using <index>]". */
  scans: string[];
  plan: PlanNode;
}

function walk(node: PlanNode, visit: (n: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

/** `EXPLAIN (FORMAT JSON)` of a captured query, with the same parameters. Plans only; runs nothing. */
export async function explain(db: SqlRunner, query: CapturedQuery): Promise<PlanSummary> {
  const rows = await db.query<Record<string, unknown>[]>(`EXPLAIN (FORMAT JSON) ${query.sql}`, query.params);
  const raw = Object.values(rows[0])[0];
  const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  const plan = doc[0].Plan;
  const nodeTypes: string[] = [];
  const scans: string[] = [];
  walk(plan, (n) => {
    nodeTypes.push(n['Node Type']);
    if (/Scan/.test(n['Node Type']) && n['Relation Name']) {
      scans.push(`${n['Node Type']} on ${n['Relation Name']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}`);
    }
  });
  return { nodeTypes, scans, plan };
}
