import type { DataSource, EntityManager } from 'typeorm';
import type { HistoryEntry, SagaState, Transition } from '../domain/saga-state.js';
import type { SagaStatus } from '../domain/saga-status.js';
import { isParked } from '../domain/saga-parking.js';
import { prepared } from './prepared-statement.js';
import { listSagas, type SagaListFilter, type SagaListPage } from './saga-list-query.js';

/** Something that runs SQL: the DataSource, or a transaction's EntityManager. */
export type SqlRunner = Pick<DataSource | EntityManager, 'query'>;

/** A saga the timeout job claimed; `leaseLapsed`: it took over another instance's lease that had run out (that one died or stalled). */
export interface ClaimedSaga extends SagaState {
  leaseLapsed: boolean;
}

/** Who holds a saga while its current action runs, and until when. */
export interface Lease {
  owner: string;
  until: Date;
}

export interface SagaHistoryRow {
  seq: number;
  step: string | null;
  from: string | null;
  to: string;
  reason: string | null;
  at: Date;
}

interface SagaRow {
  id: string;
  type: string;
  correlation_id: string;
  status: SagaStatus;
  step_index: number;
  steps: SagaState['steps'];
  data: unknown;
  failure_reason: string | null;
  due_at: Date | string | null;
  lease_owner: string | null;
  lease_until: Date | string | null;
  version: number;
  history_seq: number;
  definition_hash: string;
  created_at: Date | string;
  updated_at: Date | string;
}

// A column list rather than *: a prepared statement's result shape is fixed when it is first parsed, so a
// column added by a later migration must not change what these return.
const COLUMNS = `id, type, correlation_id, status, step_index, steps, data, failure_reason, due_at, lease_owner, lease_until,
  version, history_seq, definition_hash, created_at, updated_at`;
const S_COLUMNS = COLUMNS.replace(/(\w+)/g, 's.$1');
const LOAD_SQL = prepared(`SELECT ${COLUMNS} FROM saga_instance WHERE id = $1`);
const ENDED_SQL = prepared(
  `SELECT ${COLUMNS} FROM saga_instance WHERE id = ANY($1::uuid[]) AND status IN ('COMPLETED', 'COMPENSATED', 'FAILED')`,
);
const BY_CORRELATION_SQL = prepared(`SELECT ${COLUMNS} FROM saga_instance WHERE type = $1 AND correlation_id = $2`);

const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toState(row: SagaRow): SagaState {
  return {
    id: row.id,
    type: row.type,
    correlationId: row.correlation_id,
    status: row.status,
    stepIndex: row.step_index,
    steps: row.steps,
    data: row.data,
    failureReason: row.failure_reason,
    dueAt: date(row.due_at),
    leaseOwner: row.lease_owner,
    leaseUntil: date(row.lease_until),
    version: Number(row.version),
    historySeq: Number(row.history_seq),
    definitionHash: row.definition_hash,
    createdAt: date(row.created_at) as Date,
    updatedAt: date(row.updated_at) as Date,
  };
}

function historyRows(entries: HistoryEntry[]): object[] {
  return entries.map((e, i) => ({ i: i + 1, step: e.step, from_status: e.from, to_status: e.to, reason: e.reason }));
}

/**
 * The lease a stored state keeps: none while the saga is parked (see `isParked`), since nothing of it is in
 * flight for an instance to die with. A parked saga is then never renewed; only its due time wakes it.
 */
function heldLease(state: SagaState, lease: Lease): Lease | null {
  return isParked(state) ? null : lease;
}

/** When the timeout job must look at a saga: its deadline, or its lease's end if that comes first. */
function wakeAt(state: SagaState, lease: Lease | null): Date | null {
  if (!state.dueAt) return null;
  return !lease || state.dueAt.getTime() < lease.until.getTime() ? state.dueAt : lease.until;
}

/** The column values a transition stores, derived once for every statement that writes it. */
function transitionRow(t: Transition, offered: Lease) {
  const s = t.state;
  const lease = heldLease(s, offered);
  return {
    id: s.id,
    type: s.type,
    correlation_id: s.correlationId,
    version: s.version,
    status: s.status,
    step_index: s.stepIndex,
    current_step: s.steps[s.stepIndex]?.name ?? null,
    steps: s.steps,
    data: s.data,
    failure_reason: s.failureReason,
    due_at: iso(s.dueAt),
    lease_owner: lease?.owner ?? null,
    lease_until: iso(lease?.until ?? null),
    wake_at: iso(wakeAt(s, lease)),
    n: t.history.length,
    updated_at: s.updatedAt.toISOString(),
    definition_hash: s.definitionHash,
    history: historyRows(t.history),
  };
}

/** The parameters $1..$17 of an instance's insert (INSERT_SQL, and the saga half of insertWithSql). */
function insertParams(t: Transition, lease: Lease): unknown[] {
  const r = transitionRow(t, lease);
  return [
    r.id,
    r.type,
    r.correlation_id,
    r.status,
    r.step_index,
    r.current_step,
    JSON.stringify(r.steps),
    JSON.stringify(r.data),
    r.failure_reason,
    r.due_at,
    r.lease_owner,
    r.lease_until,
    r.wake_at,
    r.n,
    r.definition_hash,
    r.updated_at,
    JSON.stringify(r.history),
  ];
}

/** What the state of an inserted instance becomes: version 1, its history length and lease. */
function applyInserted(t: Transition, offered: Lease): void {
  const lease = heldLease(t.state, offered);
  Object.assign(t.state, { version: 1, historySeq: t.history.length, leaseOwner: lease?.owner ?? null, leaseUntil: lease?.until ?? null });
}

const INSERT_INSTANCE = `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data,
  failure_reason, due_at, lease_owner, lease_until, wake_at, version, history_seq, definition_hash, created_at, updated_at)`;

const HISTORY_INSERT = `
  INSERT INTO saga_history (saga_id, seq, step, from_status, to_status, reason, at)
  SELECT w.id, w.history_seq - $HN + h.i, h.step, h.from_status, h.to_status, h.reason, $AT::timestamptz
  FROM w, jsonb_to_recordset($HJ::jsonb) AS h(i int, step text, from_status text, to_status text, reason text)`;

/** Inserts an instance and its first history lines in one statement. */
const INSERT_SQL = prepared(`WITH w AS (
         ${INSERT_INSTANCE}
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10::timestamptz, $11, $12::timestamptz, $13::timestamptz,
           1, $14, $15, $16::timestamptz, $16::timestamptz)
         ON CONFLICT DO NOTHING
         RETURNING id, history_seq
       ), h AS (${HISTORY_INSERT.replace('$HN', '$14').replace('$AT', '$16').replace('$HJ', '$17')})
       SELECT count(*)::int AS n FROM w`);

/** A caller's own write that must commit if and only if a saga starts; see {@link SagaStore.insertWith}. */
export interface CompanionWrite {
  /** One data-modifying statement with RETURNING, its parameters numbered from $1. */
  sql: string;
  params: unknown[];
  /**
   * A jsonb column of the statement's RETURNING whose keys are merged over the saga's data, for data only the
   * statement knows (prices read in the same statement, say). Its row must carry an object there: when it is
   * NULL, nothing is written.
   */
  dataColumn?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

const withSqlCache = new Map<string, string>();

/**
 * The companion's statement and the saga's insert as one statement: the saga row is inserted only if the
 * companion returned a row, and without ON CONFLICT, so a saga that cannot be stored fails the companion too.
 */
function insertWithSql(companionSql: string, offset: number, dataColumn: string | undefined): string {
  const key = dataColumn ? `${dataColumn}\n${companionSql}` : companionSql;
  let sql = withSqlCache.get(key);
  if (!sql) {
    if (dataColumn !== undefined && !IDENTIFIER.test(dataColumn))
      throw new Error(`dataColumn must be a plain column name, not ${JSON.stringify(dataColumn)}`);
    const p = (i: number): string => `$${i + offset}`;
    // jsonb || NULL is NULL, so a row without its data fails the NOT NULL of saga_instance.data: no saga starts
    // on half its data, and the companion's write goes with it.
    const data = dataColumn ? `${p(8)}::jsonb || (SELECT ${dataColumn} FROM c LIMIT 1)` : `${p(8)}::jsonb`;
    sql = prepared(`WITH c AS (${companionSql}
       ), w AS (
         ${INSERT_INSTANCE}
         SELECT ${p(1)}::uuid, ${p(2)}::text, ${p(3)}::text, ${p(4)}::text, ${p(5)}::int, ${p(6)}::text, ${p(7)}::jsonb, ${data},
           ${p(9)}::text, ${p(10)}::timestamptz, ${p(11)}::text, ${p(12)}::timestamptz, ${p(13)}::timestamptz, 1, ${p(14)}::int,
           ${p(15)}::text, ${p(16)}::timestamptz, ${p(16)}::timestamptz
         WHERE EXISTS (SELECT 1 FROM c)
         RETURNING id, history_seq
       ), h AS (${HISTORY_INSERT.replace('$HN', `${p(14)}::int`)
         .replace('$AT', p(16))
         .replace('$HJ', p(17))})
       SELECT * FROM c`);
    // Companion texts are constants of their callers; the cap guards against one built per call by mistake.
    if (withSqlCache.size < 100) withSqlCache.set(key, sql);
  }
  return sql;
}

/** Stores a transition, conditional on the version it was computed from, and appends its history. */
const UPDATE_SQL = prepared(`WITH w AS (
         UPDATE saga_instance SET status = $3, step_index = $4, current_step = $5, steps = $6::jsonb, data = $7::jsonb,
           failure_reason = $8, due_at = $9::timestamptz, lease_owner = $10, lease_until = $11::timestamptz,
           wake_at = $12::timestamptz, version = version + 1, history_seq = history_seq + $13, updated_at = $14::timestamptz,
           definition_hash = $16
         WHERE id = $1 AND version = $2
         RETURNING id, history_seq
       ), h AS (${HISTORY_INSERT.replace('$HN', '$13').replace('$AT', '$14').replace('$HJ', '$15')})
       SELECT count(*)::int AS n FROM w`);

/**
 * Stores the transitions of several sagas in one statement through `saga_store_transitions` (see its
 * migration): each row updates only at the version its transition was computed from, with its history, and the
 * ids returned are the rows that moved.
 */
const BATCH_UPDATE_SQL = prepared(`SELECT saga_store_transitions AS id FROM saga_store_transitions($1::jsonb)`);

/** Transitions per statement at most; more wait for the next one. */
const MAX_BATCH = 64;

/**
 * Batch statements on the wire at once, normally. While one runs, new transitions gather for the next one (group
 * commit): under load a statement carries more rows, and an idle store still writes a lone transition at once.
 */
const MAX_WRITES_IN_FLIGHT = 1;

/**
 * A batch statement unanswered for this long is waiting on something (a row lock, a starved CPU, a half-open
 * connection): it stops holding the next one back, which goes out beside it. Its own transitions still wait for
 * its answer or its error. A full batch waiting does not wait either.
 */
const SLOW_WRITE_MS = 100;

interface PendingUpdate {
  t: Transition;
  lease: Lease;
  resolve: (stored: boolean) => void;
  reject: (error: unknown) => void;
}

/** What the state of a stored transition becomes: the row's new version, history length and lease. */
function applyStored(t: Transition, offered: Lease): void {
  const s = t.state;
  const lease = heldLease(s, offered);
  Object.assign(s, {
    version: s.version + 1,
    historySeq: s.historySeq + t.history.length,
    leaseOwner: lease?.owner ?? null,
    leaseUntil: lease?.until ?? null,
  });
}

/**
 * Every read and write of saga rows. Each write is ONE statement that changes the row and appends its history
 * (data-modifying CTEs), conditional on the version the transition was computed from: a duplicate or stale
 * input matches no row and changes nothing.
 */
export class SagaStore {
  private readonly resolve: () => SqlRunner;
  private pending: PendingUpdate[] = [];
  private flushScheduled = false;
  /** Batch statements on the wire and not yet slow. */
  private writing = 0;
  private readonly slowWriteMs: number;
  private readonly maxBatch: number;

  /**
   * @param db the DataSource, or a function returning it (resolved at first use, after the app has connected)
   * @param options.slowWriteMs how long a batch statement may hold the next one back (default 100 ms)
   * @param options.maxBatch transitions per batch statement at most (default 64)
   */
  constructor(db: SqlRunner | (() => SqlRunner), options: { slowWriteMs?: number; maxBatch?: number } = {}) {
    this.resolve = typeof db === 'function' ? db : () => db;
    this.slowWriteMs = options.slowWriteMs ?? SLOW_WRITE_MS;
    this.maxBatch = options.maxBatch ?? MAX_BATCH;
  }

  private resolved?: SqlRunner;

  // Resolved once, at first use: resolving may search every module (a non-strict ModuleRef.get) and this runs
  // on every statement.
  private get db(): SqlRunner {
    this.resolved ??= this.resolve();
    return this.resolved;
  }

  /** Inserts a new instance; false when one with the same id or (type, correlation id) exists. */
  async insert(t: Transition, lease: Lease, runner: SqlRunner = this.db): Promise<boolean> {
    const rows = await runner.query<{ n: number }[]>(INSERT_SQL, insertParams(t, lease));
    if (rows[0].n !== 1) return false;
    applyInserted(t, lease);
    return true;
  }

  /**
   * Runs the caller's `companion` write and inserts the saga in the same statement: one round trip and one commit
   * for both, and never one without the other. Returns the companion's rows; none means the companion wrote
   * nothing (say, its ON CONFLICT DO NOTHING fired) and no saga was inserted.
   */
  async insertWith<R>(t: Transition, lease: Lease, companion: CompanionWrite): Promise<R[]> {
    const sql = insertWithSql(companion.sql, companion.params.length, companion.dataColumn);
    const rows = await this.db.query<R[]>(sql, [...companion.params, ...insertParams(t, lease)]);
    if (rows.length === 0) return rows;
    applyInserted(t, lease);
    if (companion.dataColumn) {
      // What the statement stored: the saga's data with the companion's keys over it.
      const patch = (rows[0] as Record<string, unknown>)[companion.dataColumn] as Record<string, unknown>;
      t.state.data = { ...(t.state.data as Record<string, unknown>), ...patch };
    }
    return rows;
  }

  /**
   * Stores a transition computed from version `t.state.version`; false if the row moved on meanwhile.
   *
   * Outside a caller's transaction, the transitions requested in one turn of the event loop (replies of several
   * sagas arriving together) go to the database as one statement: one round trip and one commit instead of one
   * each. Inside a transaction (`runner`) the transition is stored at once, by the caller's connection.
   */
  update(t: Transition, lease: Lease, runner?: SqlRunner): Promise<boolean> {
    if (runner) return this.updateOne(t, lease, runner);
    return new Promise((resolve, reject) => this.enqueue([{ t, lease, resolve, reject }]));
  }

  private async updateOne(t: Transition, lease: Lease, runner: SqlRunner): Promise<boolean> {
    const r = transitionRow(t, lease);
    const rows = await runner.query<{ n: number }[]>(UPDATE_SQL, [
      r.id,
      r.version,
      r.status,
      r.step_index,
      r.current_step,
      JSON.stringify(r.steps),
      JSON.stringify(r.data),
      r.failure_reason,
      r.due_at,
      r.lease_owner,
      r.lease_until,
      r.wake_at,
      r.n,
      r.updated_at,
      JSON.stringify(r.history),
      r.definition_hash,
    ]);
    if (rows[0].n !== 1) return false;
    applyStored(t, lease);
    return true;
  }

  private enqueue(items: PendingUpdate[], first = false): void {
    if (first) this.pending.unshift(...items);
    else this.pending.push(...items);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushScheduled || this.pending.length === 0) return;
    if (this.writing >= MAX_WRITES_IN_FLIGHT && this.pending.length < this.maxBatch) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const queued = this.pending;
    this.pending = [];
    // One row per saga per statement, in arrival order: a second transition of a saga (a duplicate reply, computed
    // from the same version) waits for the next statement, where its version check decides.
    const batch: PendingUpdate[] = [];
    const later: PendingUpdate[] = [];
    const ids = new Set<string>();
    for (const p of queued) {
      if (batch.length < this.maxBatch && !ids.has(p.t.state.id)) {
        ids.add(p.t.state.id);
        batch.push(p);
      } else {
        later.push(p);
      }
    }
    let counted = true;
    const release = (): void => {
      if (!counted) return;
      counted = false;
      this.writing--;
    };
    this.writing++;
    const slow = setTimeout(() => {
      release();
      this.schedule();
    }, this.slowWriteMs);
    slow.unref();
    // The rest go once this statement has answered, ahead of what arrived meanwhile, so two transitions of one saga
    // are stored in arrival order.
    void this.write(batch).finally(() => {
      clearTimeout(slow);
      release();
      if (later.length) this.enqueue(later, true);
      else this.schedule();
    });
  }

  private async write(batch: PendingUpdate[]): Promise<void> {
    if (batch.length === 1) {
      const [p] = batch;
      await this.updateOne(p.t, p.lease, this.db).then(p.resolve, p.reject);
      return;
    }
    let stored: Set<string>;
    try {
      const rows = await this.db.query<{ id: string }[]>(BATCH_UPDATE_SQL, [JSON.stringify(batch.map((p) => transitionRow(p.t, p.lease)))]);
      stored = new Set(rows.map((r) => r.id));
    } catch {
      // One bad row must not fail the others' transitions: store each alone, so the error reaches only its own.
      await Promise.all(batch.map((p) => this.updateOne(p.t, p.lease, this.db).then(p.resolve, p.reject)));
      return;
    }
    for (const p of batch) {
      const ok = stored.has(p.t.state.id);
      if (ok) applyStored(p.t, p.lease);
      p.resolve(ok);
    }
  }

  async load(id: string, runner: SqlRunner = this.db): Promise<SagaState | null> {
    const rows = await runner.query<SagaRow[]>(LOAD_SQL, [id]);
    return rows[0] ? toState(rows[0]) : null;
  }

  /** The sagas among `ids` that have ended (COMPLETED, COMPENSATED or FAILED), in one read. */
  async loadEnded(ids: string[]): Promise<SagaState[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<SagaRow[]>(ENDED_SQL, [ids]);
    return rows.map(toState);
  }

  async findByCorrelation(type: string, correlationId: string, runner: SqlRunner = this.db): Promise<SagaState | null> {
    const rows = await runner.query<SagaRow[]>(BY_CORRELATION_SQL, [type, correlationId]);
    return rows[0] ? toState(rows[0]) : null;
  }

  /**
   * Claims up to `limit` sagas that need attention (deadline passed, or lease expired) for `lease.owner`.
   * `SKIP LOCKED` lets several instances claim side by side without waiting on or double-claiming a row; the new
   * lease keeps the others away until this instance has handled them. Each claimed saga says whether the lease
   * it replaced was another instance's and had lapsed by `now`: its deadline then passed with no live owner (see
   * `SagaTransitions.resume`). This instance's own lapsed lease does not count: it is alive, it is claiming.
   * A deadline under another instance's live lease is that instance's to handle: it is claimed only once the
   * lease lapses, and then resumed unspent, so a stalled instance's work never spends an attempt, whatever the
   * lease and the step timeout are.
   */
  async claimDue(now: Date, limit: number, lease: Lease): Promise<ClaimedSaga[]> {
    const rows = await this.db.query<(SagaRow & { lease_lapsed: boolean })[]>(
      `WITH due AS (
         SELECT id, (lease_until IS NULL OR (lease_until <= $1::timestamptz AND lease_owner IS DISTINCT FROM $3)) AS lapsed FROM saga_instance
         WHERE wake_at IS NOT NULL AND wake_at <= $1::timestamptz
           AND (lease_until IS NULL OR lease_until <= $1::timestamptz OR lease_owner = $3)
         ORDER BY wake_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ), w AS (
         UPDATE saga_instance s SET lease_owner = $3, lease_until = $4::timestamptz, wake_at = LEAST(s.due_at, $4::timestamptz)
         FROM due WHERE s.id = due.id
         RETURNING ${S_COLUMNS}, due.lapsed AS lease_lapsed
       )
       SELECT * FROM w`,
      [now.toISOString(), limit, lease.owner, lease.until.toISOString()],
    );
    return rows.map((row) => ({ ...toState(row), leaseLapsed: row.lease_lapsed }));
  }

  /**
   * Extends this owner's leases that end before `renewBefore`, so live work is not taken for orphaned. A row locked
   * right now is skipped: a transition is storing it, with a fresh lease. Rows are locked in id order, as the
   * batch writes lock them, and never waited for, so renewing never deadlocks with a transition nor holds one up.
   */
  async renewLeases(lease: Lease, renewBefore: Date): Promise<void> {
    await this.db.query(
      `WITH due AS (
         SELECT id FROM saga_instance
         WHERE lease_owner = $1 AND wake_at IS NOT NULL AND lease_until < $3::timestamptz
         ORDER BY id
         FOR UPDATE SKIP LOCKED
       ), w AS (
         UPDATE saga_instance s SET lease_until = $2::timestamptz, wake_at = LEAST(s.due_at, $2::timestamptz)
         FROM due WHERE s.id = due.id
         RETURNING 1
       ) SELECT count(*)::int AS n FROM w`,
      [lease.owner, lease.until.toISOString(), renewBefore.toISOString()],
    );
  }

  /** One page of summaries, newest first, in one statement (see `listSagas`). */
  list(filter: SagaListFilter): Promise<SagaListPage> {
    return listSagas(this.db, filter);
  }

  async history(id: string): Promise<SagaHistoryRow[]> {
    const rows = await this.db.query<
      { seq: number; step: string | null; from_status: string | null; to_status: string; reason: string | null; at: Date | string }[]
    >(`SELECT seq, step, from_status, to_status, reason, at FROM saga_history WHERE saga_id = $1 ORDER BY seq`, [id]);
    return rows.map((r) => ({ seq: r.seq, step: r.step, from: r.from_status, to: r.to_status, reason: r.reason, at: date(r.at) as Date }));
  }

  /** Takes in-flight instances of an old definition version out of the timeout job's sight. */
  async hold(type: string, definitionHash: string): Promise<void> {
    await this.db.query(
      // Rows locked in id order, as batch writes lock theirs: in any other order the two can deadlock.
      `WITH held AS (
         SELECT id FROM saga_instance WHERE type = $1 AND definition_hash = $2 AND wake_at IS NOT NULL ORDER BY id FOR UPDATE
       ), w AS (UPDATE saga_instance s SET wake_at = NULL FROM held WHERE s.id = held.id RETURNING 1)
       SELECT count(*)::int AS n FROM w`,
      [type, definitionHash],
    );
  }

  /** Stamps an instance with its definition's current hash and makes it due now. */
  async restamp(id: string, definitionHash: string, now: Date): Promise<boolean> {
    const rows = await this.db.query<{ n: number }[]>(
      `WITH w AS (
         UPDATE saga_instance SET definition_hash = $2, wake_at = $3::timestamptz, version = version + 1
         WHERE id = $1 AND status IN ('STARTED', 'RUNNING', 'COMPENSATING', 'STALLED') RETURNING 1
       ) SELECT count(*)::int AS n FROM w`,
      [id, definitionHash, now.toISOString()],
    );
    return rows[0].n === 1;
  }

  /** Sagas still in flight, by type and the definition hash they started under. */
  async activeByDefinition(): Promise<{ type: string; definitionHash: string; count: number }[]> {
    const rows = await this.db.query<{ type: string; definition_hash: string; n: number }[]>(
      `SELECT type, definition_hash, count(*)::int AS n FROM saga_instance WHERE status IN ('STARTED', 'RUNNING', 'COMPENSATING', 'STALLED') GROUP BY 1, 2`,
    );
    return rows.map((r) => ({ type: r.type, definitionHash: r.definition_hash, count: r.n }));
  }

  /**
   * Whether the database takes a write, without writing: PostgreSQL refuses a write plan in a read-only
   * transaction (or on a standby) when it starts, before it looks for rows, so `WHERE false` is enough.
   */
  async probeWrite(): Promise<void> {
    await this.db.query(`UPDATE saga_instance SET version = version WHERE false`);
  }

  /** The database's own clock, which every instance shares (see `SagaClock.anchorTo`). */
  async databaseNow(): Promise<Date> {
    const [row] = await this.db.query<{ now: Date | string }[]>(`SELECT clock_timestamp() AS now`);
    return date(row.now) as Date;
  }

  async countByStatus(type?: string): Promise<Record<string, number>> {
    const rows = await (type
      ? this.db.query<{ status: string; n: number }[]>(
          `SELECT status, count(*)::int AS n FROM saga_instance WHERE type = $1 GROUP BY status`,
          [type],
        )
      : this.db.query<{ status: string; n: number }[]>(`SELECT status, count(*)::int AS n FROM saga_instance GROUP BY status`));
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}
