import type { HistoryEntry, Transition } from '../../src/saga/domain/saga-state';
import { SagaStore, type Lease, type SqlRunner } from '../../src/saga/persistence/saga-store';

/*
 * EXPERIMENT (`--batch-transitions`): a prototype of a saga-runtime change proposed to its owner, measured here
 * without touching src/saga. Transitions stored in the same event-loop turn go to PostgreSQL as ONE statement:
 * each row still updates only if its version matches (the per-saga optimistic check is unchanged), and the
 * history rows are appended by the same statement. Each caller learns from RETURNING whether its row moved.
 */

// Never a cached generic plan: with a parameter-sized row set PostgreSQL would plan for 100 rows and may
// hash-join the whole table (seen with --auto-prepare: backend CPU per saga doubled, then grew with the table).
const BATCH_UPDATE = `/* no-prepare */
WITH v AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, version int, status text, step_index int, current_step text,
    steps jsonb, data jsonb, failure_reason text, due_at timestamptz, lease_owner text, lease_until timestamptz,
    wake_at timestamptz, n int, updated_at timestamptz, definition_hash text, history jsonb)
), w AS (
  UPDATE saga_instance s SET status = v.status, step_index = v.step_index, current_step = v.current_step, steps = v.steps,
    data = v.data, failure_reason = v.failure_reason, due_at = v.due_at, lease_owner = v.lease_owner,
    lease_until = v.lease_until, wake_at = v.wake_at, version = s.version + 1, history_seq = s.history_seq + v.n,
    updated_at = v.updated_at, definition_hash = v.definition_hash
  FROM v WHERE s.id = v.id AND s.version = v.version
  RETURNING s.id, s.history_seq, v.n, v.history, v.updated_at
), h AS (
  INSERT INTO saga_history (saga_id, seq, step, from_status, to_status, reason, at)
  SELECT w.id, w.history_seq - w.n + x.i, x.step, x.from_status, x.to_status, x.reason, w.updated_at
  FROM w, jsonb_to_recordset(w.history) AS x(i int, step text, from_status text, to_status text, reason text)
)
SELECT id FROM w`;

interface Pending {
  t: Transition;
  lease: Lease;
  resolve: (stored: boolean) => void;
  reject: (error: unknown) => void;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const history = (entries: HistoryEntry[]): object[] => entries.map((e, i) => ({ i: i + 1, step: e.step, from_status: e.from, to_status: e.to, reason: e.reason }));

export interface BatchStats {
  statements: number;
  transitions: number;
}

/** Patches SagaStore.prototype.update; returns live counters (transitions per statement). */
export function enableBatchedTransitions(): BatchStats {
  const stats: BatchStats = { statements: 0, transitions: 0 };
  const proto = SagaStore.prototype as unknown as {
    update: (this: SagaStore, t: Transition, lease: Lease, runner?: SqlRunner) => Promise<boolean>;
  };
  const original = proto.update;
  const queues = new WeakMap<SagaStore, Pending[]>();

  const flush = async (store: SagaStore, batch: Pending[]): Promise<void> => {
    // One row per saga per statement: a second transition of the same saga waits for the next statement.
    const seen = new Set<string>();
    const now: Pending[] = [];
    const later: Pending[] = [];
    for (const p of batch) {
      if (seen.has(p.t.state.id)) later.push(p);
      else {
        seen.add(p.t.state.id);
        now.push(p);
      }
    }
    if (later.length) enqueue(store, later);
    const rows = now.map(({ t, lease }) => {
      const s = t.state;
      const wake = s.dueAt ? (s.dueAt.getTime() < lease.until.getTime() ? s.dueAt : lease.until) : null;
      return {
        id: s.id, version: s.version, status: s.status, step_index: s.stepIndex, current_step: s.steps[s.stepIndex]?.name ?? null,
        steps: s.steps, data: s.data, failure_reason: s.failureReason, due_at: iso(s.dueAt), lease_owner: lease.owner,
        lease_until: iso(lease.until), wake_at: iso(wake), n: t.history.length, updated_at: s.updatedAt.toISOString(),
        definition_hash: s.definitionHash, history: history(t.history),
      };
    });
    try {
      stats.statements++;
      stats.transitions += now.length;
      const db = (store as unknown as { db: SqlRunner }).db;
      const stored = new Set(((await db.query(BATCH_UPDATE, [JSON.stringify(rows)])) as { id: string }[]).map((r) => r.id));
      for (const p of now) {
        const ok = stored.has(p.t.state.id);
        if (ok) Object.assign(p.t.state, { version: p.t.state.version + 1, historySeq: p.t.state.historySeq + p.t.history.length, leaseOwner: p.lease.owner, leaseUntil: p.lease.until });
        p.resolve(ok);
      }
    } catch (error) {
      for (const p of now) p.reject(error);
    }
  };

  const enqueue = (store: SagaStore, items: Pending[]): void => {
    let queue = queues.get(store);
    if (!queue) {
      queue = [];
      queues.set(store, queue);
      setImmediate(() => {
        const batch = queues.get(store) ?? [];
        queues.delete(store);
        void flush(store, batch);
      });
    }
    queue.push(...items);
  };

  proto.update = function (this: SagaStore, t: Transition, lease: Lease, runner?: SqlRunner): Promise<boolean> {
    // A transition inside a caller's transaction keeps its own statement.
    if (runner) return original.call(this, t, lease, runner);
    return new Promise((resolve, reject) => enqueue(this, [{ t, lease, resolve, reject }]));
  };
  return stats;
}
