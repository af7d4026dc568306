import { afterAll, describe, expect, it } from '@jest/globals';
import { type AppProcess, killAllAppProcesses, startAppProcess } from '../support/app-process';
import { postgresKinds } from '../support/test-database';
import { OrderClient } from './support/client';
import { FAST_SAGAS, openWorkspace, report, type Workspace } from './support/harness';
import { checkInvariants, waitSettled } from './support/invariants';
import { LARGE_ITEMS, type Mode, orderMix, type OrderSpec, REVIEW_THRESHOLD_CENTS, runPool, sleep } from './support/orders';

/*
 * The fraud review's deadline is absolute (issue #15): stored when the wait begins, a kill -9 and a restart
 * neither lose it nor start it again. Orders waiting for a review are cancelled at their original deadline,
 * within one pass of the timeout job, not a full timeout after the restart; one approved after the restart
 * confirms. The built app as a child process against real PostgreSQL.
 */

const SEED_STOCK = 100;
const REVIEW_TIMEOUT_MS = 12_000;
const JOB_INTERVAL_MS = 200;
/** A pass may start up to one interval after the deadline; the rest is the pass's own time on a busy machine. */
const SLACK_MS = 1_000;
const ADMIN_TOKEN = 'fraud-review-kill-9-admin';
const PRICES: Record<string, number> = { 'SKU-001': 1299, 'SKU-002': 2499, 'SKU-003': 499, 'SKU-004': 8999, 'SKU-005': 15000 };

describe('the order mix and fraud review', () => {
  it('keeps every normal order below the review threshold and every unreviewed one above it', () => {
    const mix = orderMix(300, { prefix: 'm', seed: 1, overstockQuantity: 1000, weights: { unreviewed: 10 } });
    const total = (o: OrderSpec) => o.body.items.reduce((s, i) => s + PRICES[i.sku] * i.quantity, 0);
    const normal = mix.filter((o) => o.mode !== 'overstock' && o.mode !== 'unreviewed');
    expect(normal.length).toBeGreaterThan(200);
    expect(Math.max(...normal.map(total))).toBeLessThan(REVIEW_THRESHOLD_CENTS);
    const unreviewed = mix.filter((o) => o.mode === 'unreviewed');
    expect(unreviewed.length).toBeGreaterThan(0);
    for (const o of unreviewed) expect(total(o)).toBeGreaterThanOrEqual(REVIEW_THRESHOLD_CENTS);
  });
});

interface Waiting {
  sagaId: string;
  orderId: string;
  deadline: string;
  leaseOwner: string | null;
}

// Registered only when real PostgreSQL is available (always in CI): it runs the built app against it.
for (const kind of postgresKinds())
  describe(`fraud review across kill -9 (built app, ${kind})`, () => {
    const workspaces: Workspace[] = [];

    afterAll(async () => {
      await killAllAppProcesses();
      await Promise.all(workspaces.map((w) => w.close()));
    }, 60_000);

    it('orders waiting for a review are cancelled at their original deadline after a SIGKILL and a restart; one approved after it confirms', async () => {
      const ws = await openWorkspace();
      workspaces.push(ws);
      const env = {
        ...FAST_SAGAS,
        DATABASE_URL: ws.url,
        SEED_STOCK: String(SEED_STOCK),
        SAGA_JOB_INTERVAL_MS: String(JOB_INTERVAL_MS),
        FRAUD_REVIEW_TIMEOUT_MS: String(REVIEW_TIMEOUT_MS),
        ADMIN_TOKEN,
      };
      const large = (key: string, mode: Mode): OrderSpec => ({
        key,
        mode,
        body: {
          customerId: key,
          items: LARGE_ITEMS,
          paymentToken: 'tok_visa',
          shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
        },
      });
      // Five nobody reviews, one approved after the restart (a visa order: it must confirm), two below the threshold.
      const orders: OrderSpec[] = [
        ...Array.from({ length: 5 }, (_, i) => large(`unreviewed-${i}`, 'unreviewed')),
        large('approved', 'visa'),
        ...orderMix(2, { prefix: 'small', seed: 5, overstockQuantity: 1000, weights: { declined: 0, timeout: 0, aq: 0, overstock: 0 } }),
      ];
      let app: AppProcess = await startAppProcess({ name: 'review-kill9', env });
      const port = app.port;
      const client = new OrderClient(() => [app.url]);
      await runPool(orders, 4, async (o) => void (await client.place(o)));
      const placed = [...client.placed.values()];
      const largeIds = placed.filter((p) => p.key.startsWith('unreviewed') || p.key === 'approved').map((p) => p.orderId as string);

      const readWaiting = () =>
        ws.sql<Waiting>(
          `SELECT s.id AS "sagaId", s.correlation_id AS "orderId", st->>'waitDeadline' AS deadline, s.lease_owner AS "leaseOwner"
           FROM saga_instance s, jsonb_array_elements(s.steps) st
           WHERE s.correlation_id = ANY($1::text[]) AND st->>'name' = 'fraudReview' AND st->>'status' = 'WAITING'`,
          [largeIds],
        );
      let waiting: Waiting[] = [];
      const waitStart = Date.now();
      while (waiting.length < largeIds.length && Date.now() - waitStart < 30_000) {
        await sleep(50);
        waiting = await readWaiting();
      }
      expect(waiting).toHaveLength(largeIds.length);
      // A waiting saga is parked: no lease, so nothing waits for one to lapse after the crash.
      expect(waiting.map((w) => w.leaseOwner)).toEqual(waiting.map(() => null));

      const killedAt = Date.now();
      await app.kill('SIGKILL');
      await sleep(1_500);
      app = await startAppProcess({ name: 'review-kill9', env, port });
      const restartedAt = app.spawnedAt;
      const firstDeadline = Math.min(...waiting.map((w) => Date.parse(w.deadline)));
      // The premise: the app is back before the first deadline, and a fresh full wait from the restart would end
      // well past any original deadline's allowance.
      expect(app.readyAt).toBeLessThan(firstDeadline - SLACK_MS);
      expect(restartedAt + REVIEW_TIMEOUT_MS).toBeGreaterThan(
        Math.max(...waiting.map((w) => Date.parse(w.deadline))) + JOB_INTERVAL_MS + SLACK_MS,
      );

      // The stored deadlines survived the crash unchanged.
      expect(new Map((await readWaiting()).map((w) => [w.sagaId, w.deadline]))).toEqual(
        new Map(waiting.map((w) => [w.sagaId, w.deadline])),
      );

      const approvedId = placed.find((p) => p.key === 'approved')?.orderId as string;
      const approval = await fetch(`${app.url}/orders/${approvedId}/review`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ decision: 'approve', reason: 'checked after the restart' }),
      });
      expect(approval.status).toBe(202);

      await waitSettled(ws.sql, REVIEW_TIMEOUT_MS + 30_000);

      // When each unreviewed saga began compensating, against its stored deadline (both on the saga clock).
      const ends = await ws.sql<{ sagaId: string; at: string }>(
        `SELECT h.saga_id AS "sagaId", min(h.at) AS at FROM saga_history h
         WHERE h.saga_id = ANY($1::uuid[]) AND h.step IS NULL AND h.to_status = 'COMPENSATING' GROUP BY h.saga_id`,
        [waiting.map((w) => w.sagaId)],
      );
      const lateness = new Map(ends.map((e) => [e.sagaId, new Date(e.at).getTime()]));
      const unreviewed = waiting.filter((w) => w.orderId !== approvedId);
      const figures = unreviewed.map((w) => ({
        afterDeadlineMs: (lateness.get(w.sagaId) ?? NaN) - Date.parse(w.deadline),
        afterRestartMs: (lateness.get(w.sagaId) ?? NaN) - restartedAt,
      }));
      const statuses = await ws.sql<{ id: string; status: string; failure_reason: string | null }>(
        `SELECT id, status, failure_reason FROM orders WHERE id = ANY($1::uuid[])`,
        [largeIds],
      );
      const invariants = await checkInvariants(ws.sql, { seedStock: SEED_STOCK, orders: placed, outcomeByMode: true });
      report('fraud review kill -9', {
        orders: orders.length,
        waitingAtKill: waiting.length,
        downMs: app.readyAt - killedAt,
        readyBeforeFirstDeadlineMs: firstDeadline - app.readyAt,
        reviewTimeoutMs: REVIEW_TIMEOUT_MS,
        cancelled: figures,
        outcomes: invariants.summary,
      });

      expect(ends).toHaveLength(unreviewed.length);
      for (const f of figures) {
        expect(f.afterDeadlineMs).toBeGreaterThanOrEqual(0);
        expect(f.afterDeadlineMs).toBeLessThan(JOB_INTERVAL_MS + SLACK_MS);
        // Not a fresh wait started by the restart.
        expect(f.afterRestartMs).toBeLessThan(REVIEW_TIMEOUT_MS);
      }
      const byId = new Map(statuses.map((s) => [s.id, s]));
      expect(byId.get(approvedId)?.status).toBe('CONFIRMED');
      for (const w of unreviewed) {
        expect(byId.get(w.orderId)).toMatchObject({
          status: 'CANCELLED',
          failure_reason: 'fraudReview failed: fraudReview timed out after 12 s without the signal "fraudReview"',
        });
      }
      expect(client.problems).toEqual([]);
      expect(invariants.violations).toEqual([]);
      expect(invariants.summary.confirmed).toBe(3);
      expect(app.alive()).toBe(true);
    }, 180_000);
  });
