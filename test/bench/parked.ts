import { SagaTimeoutJob } from 'sagaworks';
import type { BenchApp } from './bench-app';

export const PARKED_TOTAL = 100_000;
const PASSES = 5;

/**
 * `total` sagas parked at a wait (no lease, woken only by a deadline a year or more away), in one statement,
 * beside whatever the database already holds. A registered-looking type is not needed: nothing claims them.
 */
async function insertParkedSagas(app: BenchApp, total: number): Promise<void> {
  await app.dataSource.query(
    `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, failure_reason,
       due_at, lease_owner, lease_until, wake_at, version, history_seq, definition_hash, created_at, updated_at)
     SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(g), 12, '0'))::uuid, 'bench-parked', 'parked-' || g, 'RUNNING', 0, 'approval',
       '[{"name":"approval","status":"WAITING","attempts":0,"compensationAttempts":0}]'::jsonb, '{}'::jsonb, NULL,
       t.at, NULL, NULL, t.at, 1, 1, 'parked', now(), now()
     FROM generate_series(1, $1::int) AS g, LATERAL (SELECT now() + interval '1 year' + g * interval '1 second' AS at) AS t`,
    [total],
  );
}

/**
 * What a timeout-job pass costs with `total` parked sagas in the table: statements per pass (the target is the
 * claim alone: no lease renewal, no rewrite of a parked row) and the pass's time.
 */
export async function parkedPasses(app: BenchApp, total = PARKED_TOTAL): Promise<Record<string, unknown>> {
  await app.counter.uncounted(() => insertParkedSagas(app, total));
  await app.counter.uncounted(() => app.dataSource.query('ANALYZE saga_instance'));
  const versions = () =>
    app.counter.uncounted(() =>
      app.dataSource.query<{ v: number }[]>(`SELECT sum(version)::bigint AS v FROM saga_instance WHERE type = 'bench-parked'`),
    );
  const before = Number((await versions())[0].v);
  const job = app.app.get(SagaTimeoutJob);
  app.counter.take();
  const ms: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    const t0 = performance.now();
    await job.runOnce();
    ms.push(Math.round((performance.now() - t0) * 10) / 10);
  }
  const counts = app.counter.take();
  const after = Number((await versions())[0].v);
  ms.sort((a, b) => a - b);
  return {
    parked: total,
    passes: PASSES,
    statementsPerPass: (counts.statements + counts.backgroundStatements) / PASSES,
    parkedRowsRewritten: after - before,
    passMs: { median: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] },
  };
}
