import { afterAll, describe, expect, it } from '@jest/globals';
import { type AppProcess, killAllAppProcesses, startAppProcess } from '../support/app-process';
import { postgresKinds } from '../support/test-database';
import { OrderClient } from './support/client';
import { openWorkspace, report, type Workspace } from './support/harness';
import { activeSagas, checkInvariants, waitSettled } from './support/invariants';
import { orderMix, runPool, sleep } from './support/orders';
import { failedSagas, historyCounts, respentSteps, resumedByOwner, sagaIdsOf } from './support/saga-audit';

/*
 * Invariant 8, a frozen instance (a VM paused, a stop-the-world stall, SIGSTOP): two instances of the built app on
 * one PostgreSQL, one of them frozen under load for longer than both the lease and the step timeout, then
 * continued. The live one must take the frozen one's sagas over when their leases lapse without spending an
 * attempt (the deadline passed under the frozen owner's lease, which says nothing about the step), and the frozen
 * one, once continued, must neither crash nor change anything with its stale replies.
 *
 * The saga timings are the app's defaults (lease 15 s > step timeout 10 s, job every second): the ratio under
 * which a takeover used to spend attempts. The second run allows a single attempt per step, so one spent
 * attempt would cancel a good order.
 */

const SEED_STOCK = 600;
/** Longer than the default lease (15 s) and step timeout (10 s), plus a job interval to notice. */
const FREEZE_MS = 20_000;
const ORDERS = 120;

interface Scenario {
  name: string;
  extraEnv: Record<string, string>;
  seed: number;
}

async function freezeUnderLoad(ws: Workspace, scenario: Scenario): Promise<void> {
  const sql = ws.sql;
  // Only the database and the seed: every SAGA_* setting is the app's default, except the scenario's.
  const env = { DATABASE_URL: ws.url, SEED_STOCK: String(SEED_STOCK), LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...scenario.extraEnv };
  const [frozen, live] = await Promise.all([
    startAppProcess({ name: `${scenario.name}-frozen`, env }),
    startAppProcess({ name: `${scenario.name}-live`, env }),
  ]);
  const apps: AppProcess[] = [frozen, live];
  let isFrozen = false;
  let frozenOnce = false;
  // New orders go to both until the freeze, then only to the live instance; a request the frozen one swallowed
  // times out and is sent again, with the same Idempotency-Key, to the live one.
  const client = new OrderClient(() => apps.filter((p) => p.alive() && !(p === frozen && frozenOnce)).map((p) => p.url), {
    requestTimeoutMs: 3_000,
    retryStatuses: [503],
  });
  // A few business failures ride along (their cancellation is expected); no tok_timeout, which needs attempts.
  const orders = orderMix(ORDERS, {
    prefix: scenario.name,
    seed: scenario.seed,
    overstockQuantity: 1000,
    weights: { visa: 80, declined: 5, overstock: 5, aq: 0, timeout: 0 },
  });

  let ownedAtFreeze: string[] = [];
  let acceptedAtFreeze = 0;
  let continuedAt = 0;
  const freezer = (async () => {
    while (client.acceptedCount < ORDERS / 2) await sleep(5);
    frozen.child.kill('SIGSTOP');
    isFrozen = true;
    frozenOnce = true;
    acceptedAtFreeze = client.acceptedCount;
    // What the frozen instance was in the middle of: sagas under its lease that are not done.
    ownedAtFreeze = (await activeSagas(sql)).filter((s) => s.lease_owner?.includes(`-${frozen.pid}-`)).map((s) => s.id);
    await sleep(FREEZE_MS);
    frozen.child.kill('SIGCONT');
    continuedAt = Date.now();
    isFrozen = false;
  })();
  const started = Date.now();
  await Promise.all([runPool(orders, 16, async (o) => void (await client.place(o))), freezer]);
  const loadMs = Date.now() - started;
  // The continued instance works through what it had pending (stale replies, a job pass) before we judge.
  const liveAgain = await fetch(`${frozen.url}/health/live`, { signal: AbortSignal.timeout(30_000) }).then((r) => r.status);
  const settleMs = await waitSettled(sql, 90_000);
  await sleep(3_000);

  const placed = [...client.placed.values()];
  const invariants = await checkInvariants(sql, { seedStock: SEED_STOCK, orders: placed, outcomeByMode: true });
  const visaSagas = await sagaIdsOf(
    sql,
    placed.filter((p) => p.mode === 'visa').map((p) => p.key),
  );
  const respent = await respentSteps(sql, visaSagas);
  const history = await historyCounts(sql);
  const ofFrozen = await historyCounts(sql, ownedAtFreeze);
  const failed = await failedSagas(sql);
  const ownerIdOf = (owner: string) => (owner.includes(`-${frozen.pid}-`) ? 'frozen' : owner.includes(`-${live.pid}-`) ? 'live' : owner);
  const resumedBy = Object.fromEntries(Object.entries(await resumedByOwner(sql)).map(([owner, n]) => [ownerIdOf(owner), n]));
  const frozenLog = frozen.output().split('\n');
  const errorLines = frozenLog.filter((l) => /"level":(50|60)/.test(l)).length;
  // Requests the frozen instance had swallowed, finished once continued (the client had long retried them elsewhere).
  const staleRequests = frozenLog.filter((l) => {
    const at = /"time":(\d+)/.exec(l)?.[1];
    return /"msg":"request (completed|aborted)"/.test(l) && Number(at) >= continuedAt;
  }).length;

  report(`frozen instance: ${scenario.name}`, {
    // orders placed; how many had their 201 when the instance was frozen; for how long
    orders: ORDERS,
    acceptedAtFreeze,
    freezeMs: FREEZE_MS,
    // sagas under the frozen instance's lease, not terminal, at the moment of the freeze
    ownedAtFreeze: ownedAtFreeze.length,
    // of those sagas' history: takeovers by lease expiry, how many of them after the deadline too, attempts spent by deadlines
    ofFrozen,
    // takeovers over all sagas, by which instance took over
    resumedBy,
    history,
    // POST /orders answers by status ('network': not answered within 3 s, the frozen instance's)
    requests: client.statuses,
    loadMs,
    settleMs,
    // on the frozen instance after SIGCONT: requests it finished late, and error or fatal log lines
    staleRequests,
    frozenErrorLogLines: errorLines,
    outcomes: invariants.summary,
  });

  expect(isFrozen).toBe(false);
  expect(client.problems).toEqual([]);
  expect(invariants.violations).toEqual([]);
  expect(failed).toBe(0);
  // The freeze hit work in flight, and the live instance took it over by lease expiry.
  expect(ownedAtFreeze.length).toBeGreaterThan(0);
  expect(ofFrozen.resumed).toBeGreaterThan(0);
  expect(resumedBy.live ?? 0).toBeGreaterThan(0);
  // Takeover never spent an attempt: no visa step dispatched twice as a new attempt, no deadline counted.
  expect(respent).toEqual([]);
  expect(history.timedOut).toBe(0);
  // The continued instance answers and is still running.
  expect(liveAgain).toBe(200);
  expect(frozen.alive() && live.alive()).toBe(true);
}

// Registered only when real PostgreSQL is available (always in CI): it runs the built app against it.
for (const kind of postgresKinds())
  describe(`a frozen instance (SIGSTOP past the lease and the step timeout), two instances of the built app (${kind})`, () => {
    const workspaces: Workspace[] = [];

    afterAll(async () => {
      await killAllAppProcesses();
      await Promise.all(workspaces.map((w) => w.close()));
    }, 60_000);

    it(`at the default saga settings (lease 15 s > step timeout 10 s), frozen ${FREEZE_MS / 1000} s: every good order confirms, no attempt spent`, async () => {
      const ws = await openWorkspace();
      workspaces.push(ws);
      await freezeUnderLoad(ws, { name: 'defaults', extraEnv: {}, seed: 21 });
    }, 120_000);

    it(`the defaults with one attempt per step, frozen ${FREEZE_MS / 1000} s: every good order still confirms`, async () => {
      const ws = await openWorkspace();
      workspaces.push(ws);
      await freezeUnderLoad(ws, { name: 'one-attempt', extraEnv: { SAGA_MAX_ATTEMPTS: '1' }, seed: 22 });
    }, 120_000);
  });
