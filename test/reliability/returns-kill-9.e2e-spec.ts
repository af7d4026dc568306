import { afterAll, describe, expect, it } from '@jest/globals';
import { type AppProcess, killAllAppProcesses, startAppProcess } from '../support/app-process';
import { orderRequest } from '../support/test-app';
import { postgresKinds } from '../support/test-database';
import { OrderClient } from './support/client';
import { FAST_SAGAS, countActive, openWorkspace, report, type Workspace } from './support/harness';
import { checkInvariants, waitSettled } from './support/invariants';
import { type OrderSpec, rng, runPool, sleep, SKUS } from './support/orders';
import { checkReturns, refusingEveryFourth, ReturnClient, returnModes } from './support/returns';

/*
 * The order-return choreography under kill -9: in one process its services hand each other events in memory,
 * so a crash loses the reactions in flight. The flow's tracker stalls those flows at their deadline and nudges
 * the participant that owes the next event; each participant's part is idempotent, so every return still ends
 * refunded and restocked exactly once, or undone by events.
 */

const SEED_STOCK = 400;
const RETURNS = 60;

for (const kind of postgresKinds())
  describe(`order returns under kill -9 (built app, ${kind})`, () => {
    const workspaces: Workspace[] = [];

    afterAll(async () => {
      await killAllAppProcesses();
      await Promise.all(workspaces.map((w) => w.close()));
    }, 60_000);

    it(`${RETURNS} returns, the app SIGKILLed three times mid-flow: every flow ends, each order refunded and restocked once`, async () => {
      const ws = await openWorkspace();
      workspaces.push(ws);
      const env = { ...FAST_SAGAS, DATABASE_URL: ws.url, SEED_STOCK: String(SEED_STOCK) };
      let app: AppProcess = await startAppProcess({ name: 'returns-kill9', env });
      const port = app.port;
      const random = rng(7);
      const orders: OrderSpec[] = Array.from({ length: RETURNS }, (_, i) => ({
        key: `rk9-${i}`,
        mode: 'visa',
        body: orderRequest({
          items: [{ sku: SKUS[i % SKUS.length], quantity: 1 + Math.floor(random() * 3) }],
        }),
      }));
      refusingEveryFourth(orders);
      const client = new OrderClient(() => [app.url]);
      await runPool(orders, 8, async (o) => void (await client.place(o)));
      await waitSettled(ws.sql, 60_000);
      const placed = [...client.placed.values()];

      const returner = new ReturnClient(() => app.url);
      const kills: { accepted: number; activeFlows: number }[] = [];
      const restart = async () => {
        await app.kill('SIGKILL');
        kills.push({ accepted: returner.accepted, activeFlows: await countActive(ws.sql) });
        app = await startAppProcess({ name: 'returns-kill9', env, port });
      };
      const killer = (async () => {
        for (const threshold of [15, 40]) {
          while (returner.accepted < threshold) await sleep(5);
          await sleep(random() * 50);
          await restart();
        }
      })();
      await Promise.all([returner.returnAll(placed), killer]);
      // The last kill lands as the last returns are on their way.
      await restart();
      const settleMs = await waitSettled(ws.sql, 90_000);

      const invariants = await checkInvariants(ws.sql, { seedStock: SEED_STOCK, orders: placed });
      const returns = await checkReturns(ws.sql, returnModes(orders, placed));
      const [stalls] = await ws.sql<{ flows: number; nudges: number }>(
        `SELECT count(DISTINCT h.saga_id)::int AS flows, count(*)::int AS nudges FROM saga_history h
         JOIN saga_instance s ON s.id = h.saga_id WHERE s.type = 'order-return' AND h.to_status = 'STALLED'`,
      );
      report('returns under kill -9', { returns: RETURNS, kills, settleMs, stalledFlows: stalls.flows, nudges: stalls.nudges });

      expect(returner.problems).toEqual([]);
      expect(client.problems).toEqual([]);
      expect(invariants.violations).toEqual([]);
      expect(returns).toEqual([]);
      // The kills did land on flows in flight (or the suite would prove nothing about them).
      expect(kills.reduce((n, k) => n + k.activeFlows, 0)).toBeGreaterThan(0);
    }, 240_000);
  });
