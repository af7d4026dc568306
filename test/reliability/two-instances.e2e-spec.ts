import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from '@jest/globals';
import { type AppProcess, killAllAppProcesses, startAppProcess } from '../support/app-process';
import { postgresKinds } from '../support/test-database';
import { checkOverHttp, OrderClient } from './support/client';
import { FAST_SAGAS, openWorkspace, report, watchStock, type Workspace } from './support/harness';
import { checkInvariants, waitSettled } from './support/invariants';
import { orderMix, runPool, sleep } from './support/orders';

/*
 * Invariant 6: two instances on one PostgreSQL give the same results as one, even when either dies. The step
 * timeout is longer than the lease here, so a dead instance's sagas are taken over by lease expiry (the other
 * instance's claim), not merely retried by deadline.
 */

const SEED_STOCK = 600;
const LEASE_MS = 1_500;

describe('the test client', () => {
  let server: Server;
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('retries an unanswered order with the same Idempotency-Key on the next instance', async () => {
    const seen: { port: number; key: string | undefined }[] = [];
    let first = true;
    server = createServer((req, res) => {
      seen.push({ port: (req.socket.localPort as number) ?? 0, key: req.headers['idempotency-key'] as string | undefined });
      req.resume();
      if (first) {
        first = false;
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'down' }));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'o-1', status: 'PENDING', sagaId: 's-1' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    // The first target refuses connections (a dead instance); the second answers 503, then 201.
    const client = new OrderClient(() => ['http://127.0.0.1:1', `http://127.0.0.1:${port}`], { retryStatuses: [503] });
    const placed = await client.place({
      key: 'k-1',
      mode: 'visa',
      body: {
        customerId: 'c',
        items: [{ sku: 'SKU-001', quantity: 1 }],
        paymentToken: 'tok_visa',
        shippingAddress: { line1: 'l', city: 'c', postalCode: 'p', country: 'US' },
      },
    });
    expect(placed.orderId).toBe('o-1');
    expect(seen.map((s) => s.key)).toEqual(['k-1', 'k-1']);
    expect(client.statuses).toEqual({ network: 2, '503': 1, '201': 1 });
    expect(client.problems).toEqual([]);
  });
});

// Registered only when real PostgreSQL is available (always in CI): it runs the built app against it.
for (const kind of postgresKinds())
  describe(`two instances, one database (built app, ${kind})`, () => {
    let ws: Workspace | undefined;

    afterAll(async () => {
      await killAllAppProcesses();
      await ws?.close();
    }, 60_000);

    it('300 orders split across two processes started together, each SIGKILLed once: same invariants, every effect once', async () => {
      ws = await openWorkspace();
      const sql = ws.sql;
      const env = {
        ...FAST_SAGAS,
        DATABASE_URL: ws.url,
        SEED_STOCK: String(SEED_STOCK),
        SAGA_STEP_TIMEOUT_MS: '4000',
        SAGA_LEASE_MS: String(LEASE_MS),
      };
      // Started at the same moment on an empty database: migrations and the catalog seed race as well.
      const apps: Record<'a' | 'b', AppProcess> = Object.fromEntries(
        await Promise.all((['a', 'b'] as const).map(async (n) => [n, await startAppProcess({ name: `instance-${n}`, env })] as const)),
      ) as Record<'a' | 'b', AppProcess>;
      const pids: Record<string, string> = { [apps.a.pid]: 'a1', [apps.b.pid]: 'b1' };
      const client = new OrderClient(() => [apps.a, apps.b].filter((p) => p.alive()).map((p) => p.url));
      const stock = watchStock(sql);
      const orders = orderMix(300, { prefix: 'two', seed: 3, overstockQuantity: 1000 });

      const kills: { instance: string; accepted: number; phaseLeft: number }[] = [];
      /** Kills `name` once `accepted` orders of its phase got their 201, and restarts it after more than a lease. */
      const killAndRestart = async (name: 'a' | 'b', phase: number, accepted: number, phaseSize: number) => {
        while (client.acceptedCount < phase + accepted) await sleep(10);
        const victim = apps[name];
        await victim.kill('SIGKILL');
        kills.push({ instance: pids[victim.pid], accepted: client.acceptedCount, phaseLeft: phase + phaseSize - client.acceptedCount });
        // Down for longer than a lease: the survivor must take the victim's sagas over.
        await sleep(LEASE_MS + 1_000);
        apps[name] = await startAppProcess({ name: `instance-${name}`, env, port: victim.port });
        pids[apps[name].pid] = `${name}2`;
      };
      // Two phases, so that each kill lands under load however long a restart takes on a busy machine: the second
      // phase starts once the first victim is back.
      const half = orders.length / 2;
      const place = async (o: (typeof orders)[number]) => void (await client.place(o));
      const started = Date.now();
      await Promise.all([runPool(orders.slice(0, half), 16, place), killAndRestart('a', 0, 60, half)]);
      await Promise.all([runPool(orders.slice(half), 16, place), killAndRestart('b', half, 40, half)]);
      const loadMs = Date.now() - started;
      const settleMs = await waitSettled(sql, 90_000);
      await stock.stop();

      const placed = [...client.placed.values()];
      const invariants = await checkInvariants(sql, { seedStock: SEED_STOCK, orders: placed, outcomeByMode: true });
      const statusById = new Map((await sql<{ id: string; status: string }>(`SELECT id, status FROM orders`)).map((r) => [r.id, r.status]));
      const httpViolations = [
        ...(await checkOverHttp(client, apps.a.url, placed, statusById, 16)),
        ...(await checkOverHttp(client, apps.b.url, placed.slice(0, 40), statusById, 8)),
      ];
      // Who resumed whose sagas: "resumed by <host>-<pid>-<random> after lease expiry".
      const resumedBy: Record<string, number> = {};
      for (const r of await sql<{ reason: string }>(`SELECT reason FROM saga_history WHERE reason LIKE 'resumed by %'`)) {
        const pid = /-(\d+)-[0-9a-f]+ after lease expiry/.exec(r.reason)?.[1] ?? '?';
        const who = pids[pid] ?? `pid ${pid}`;
        resumedBy[who] = (resumedBy[who] ?? 0) + 1;
      }
      const [claims] = await sql<{ migrations: number; products: number }>(
        `SELECT (SELECT count(*)::int FROM migrations) AS migrations, (SELECT count(*)::int FROM inventory_products) AS products`,
      );
      report('two instances', {
        orders: orders.length,
        kills,
        loadMs,
        settleMs,
        resumedBy,
        requests: client.statuses,
        migrations: claims.migrations,
        outcomes: invariants.summary,
      });

      expect(kills.map((k) => k.instance)).toEqual(['a1', 'b1']);
      // Each kill landed while its phase still had orders to place.
      for (const k of kills) expect(k.phaseLeft).toBeGreaterThan(0);
      expect(client.problems).toEqual([]);
      expect(invariants.violations).toEqual([]);
      expect(httpViolations).toEqual([]);
      expect(stock.min()).toBeGreaterThanOrEqual(0);
      expect(claims.products).toBe(5);
      // Each kill was covered by the other instance taking over by lease (b1 after a1 died, a2 after b1 died).
      expect(resumedBy.b1 ?? 0).toBeGreaterThan(0);
      expect(resumedBy.a2 ?? 0).toBeGreaterThan(0);
      expect(apps.a.alive() && apps.b.alive()).toBe(true);
    }, 300_000);
  });
