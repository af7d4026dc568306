import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type ArgumentsHost, Logger, ServiceUnavailableException } from '@nestjs/common';
import pg from 'pg';
import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { HttpErrorFilter } from '../../src/http/http-error.filter';
import { freePort, killAllAppProcesses, startAppProcess } from '../support/app-process';
import { postgresKinds } from '../support/test-database';
import { OrderClient } from './support/client';
import { FAST_SAGAS, report, watchStock } from './support/harness';
import { spentAttempts, type SpentAttempt } from './support/attempts';
import { checkInvariants, sqlOf, waitSettled } from './support/invariants';
import { leakIn } from './support/leaks';
import { orderMix, runPool, sleep } from './support/orders';
import { type Cluster, createCluster, createDatabase } from './support/pg-cluster';

/*
 * The database goes away for ten seconds under load, then comes back. The app must not crash, must say so on
 * /health (503, then 200 again), must answer requests that need the database with a plain 503 (no driver text),
 * and every saga must resume and settle with every invariant intact. The cluster is the test's own.
 */

const SEED_STOCK = 600;
const OUTAGE_MS = 10_000;
const DB_DOWN = { statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable; retry later' };

type Answer = { status: number; body: unknown; headers: Record<string, string> };

/** Runs the app's filter on `error` as Nest would, and returns what the client would get. */
function answerTo(error: unknown): Answer {
  const out: Answer = { status: 0, body: undefined, headers: {} };
  const res = {
    headersSent: false,
    setHeader: (name: string, value: string) => ((out.headers[name.toLowerCase()] = value), res),
    status: (s: number) => ((out.status = s), res),
    json: (b: unknown) => ((out.body = b), res),
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(error, host);
  return out;
}

describe('HttpErrorFilter on database errors', () => {
  // The filter logs every 5xx with its stack, which is right in the app and noise here.
  let quiet: { mockRestore(): void };
  beforeAll(() => {
    quiet = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => quiet.mockRestore());

  // A 503 tells the client when to try again.
  const unavailable = { status: 503, body: DB_DOWN, headers: { 'retry-after': '2' } };
  const pgError = (message: string, code: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

  it('maps a real refused connection (the pg driver against a closed port) to a plain 503', async () => {
    const client = new pg.Client({
      connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`,
      connectionTimeoutMillis: 2_000,
    });
    const error = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeNull();
    expect(answerTo(error)).toEqual(unavailable);
  });

  it.each([
    [
      'terminated by the server (57P01)',
      new QueryFailedError('SELECT 1', [], pgError('terminating connection due to administrator command', '57P01')),
    ],
    ['server shutting down (57P03)', pgError('the database system is shutting down', '57P03')],
    ['server starting up (57P03)', pgError('the database system is starting up', '57P03')],
    ['a translated message, known by its SQLSTATE only (08006)', pgError('la connexion au serveur a été perdue', '08006')],
    ['too many connections (53300)', pgError('sorry, too many clients already', '53300')],
    ['a connection dropped mid-query', new Error('Connection terminated unexpectedly')],
    ['a pool that cannot connect in time', new Error('timeout exceeded when trying to connect')],
    [
      'a read-only database (25006)',
      new QueryFailedError('INSERT INTO orders', [], pgError('cannot execute INSERT in a read-only transaction', '25006')),
    ],
    ['a statement timeout (57014)', pgError('canceling statement due to statement timeout', '57014')],
    ['a lock timeout (55P03)', pgError('canceling statement due to lock timeout', '55P03')],
    // Seen on a real outage: TypeORM released the transaction's runner when its connection died mid-way.
    ['a transaction whose connection died (QueryRunnerAlreadyReleasedError)', new QueryRunnerAlreadyReleasedError()],
    ['a statement on a dead transaction (QueryRunnerProviderAlreadyReleasedError)', new QueryRunnerProviderAlreadyReleasedError()],
    [
      'happy-eyeballs AggregateError without a message',
      Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], ''), {}),
    ],
  ])('%s -> 503 with a plain message', (_name, error) => {
    expect(answerTo(error)).toEqual(unavailable);
  });

  it('any other database error is a plain 500: no SQL, no driver text', () => {
    const answer = answerTo(
      new QueryFailedError(
        'INSERT INTO orders (id) VALUES ($1)',
        ['x'],
        pgError('duplicate key value violates unique constraint "orders_pkey"', '23505'),
      ),
    );
    expect(answer).toEqual({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
      headers: {},
    });
    expect(leakIn(JSON.stringify(answer.body))).toBeNull();
  });

  it('a 503 thrown with details (terminus does) keeps its status and loses the details', () => {
    const answer = answerTo(
      new ServiceUnavailableException({
        status: 'error',
        error: { database: { status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:5432' } },
      }),
    );
    expect(answer.status).toBe(503);
    expect(leakIn(JSON.stringify(answer.body))).toBeNull();
  });
});

interface Outcome {
  alive: boolean;
  downAt: number;
  restartAt: number;
  upAt: number;
  health: { sent: number; at: number; status: number }[];
  probes: { path: string; status: number; body: unknown }[];
  statuses: Record<string, number>;
  problems: string[];
  violations: string[];
  minStock: number;
  /** Steps of good (visa) orders that took a second attempt. */
  spent: SpentAttempt[];
  output: string;
}

// Registered only when real PostgreSQL is available (always in CI): it runs the built app against it.
for (const kind of postgresKinds())
  describe(`database outage (built app, throwaway cluster; ${kind} pass)`, () => {
    let cluster: Cluster | undefined;
    let pool: pg.Pool | undefined;
    let o: Outcome;

    // One scenario, several verdicts: each property below fails on its own.
    beforeAll(async () => {
      cluster = await createCluster();
      await cluster.start();
      await createDatabase(cluster, 'sagaworks');
      const c = cluster;
      pool = new pg.Pool({ connectionString: c.url('sagaworks'), max: 2 });
      // The test's own connections die with the cluster too; that must not take Jest down.
      pool.on('error', () => undefined);
      const sql = sqlOf(pool);
      const app = await startAppProcess({
        name: 'outage',
        env: { ...FAST_SAGAS, DATABASE_URL: c.url('sagaworks'), SEED_STOCK: String(SEED_STOCK) },
      });
      const client = new OrderClient(() => [app.url], { retryStatuses: [503] });
      const stock = watchStock(sql);
      const orders = orderMix(200, { prefix: 'out', seed: 6, overstockQuantity: 1000 });

      // /health, sampled throughout.
      const health: { sent: number; at: number; status: number }[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const sent = Date.now();
          try {
            const { status } = await client.get(`${app.url}/health`);
            health.push({ sent, at: Date.now(), status });
          } catch {
            health.push({ sent, at: Date.now(), status: 0 });
          }
          await sleep(200);
        }
      })();

      let downAt = 0;
      let restartAt = 0;
      let upAt = 0;
      const probes: { path: string; status: number; body: unknown }[] = [];
      const outage = (async () => {
        while (client.acceptedCount < 60) await sleep(10);
        await c.stop();
        downAt = Date.now();
        await sleep(1_000);
        // Requests that need the database, while it is away: each a plain 503.
        const someOrder = [...client.placed.values()].find((p) => p.orderId)?.orderId;
        for (const path of ['/products', `/orders/${someOrder}`, '/sagas?limit=5', `/payments?orderId=${someOrder}`]) {
          const { status, body } = await client.get(`${app.url}${path}`);
          probes.push({ path, status, body });
        }
        const res = await fetch(`${app.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(orders[0].body),
        });
        probes.push({
          path: 'POST /orders',
          status: res.status,
          body: client.inspect('POST /orders during outage', res.status, await res.text()),
        });
        await sleep(Math.max(0, downAt + OUTAGE_MS - Date.now()));
        // The server accepts connections at some point during `start`: "down" ends when it is asked to start.
        restartAt = Date.now();
        await c.start();
        upAt = Date.now();
      })();

      await Promise.all([runPool(orders, 16, async (x) => void (await client.place(x))), outage]);
      const settleMs = await waitSettled(sql, 90_000);
      // A last sample after everything settled, so "up again" is seen even if the load ended late.
      await sleep(400);
      sampling = false;
      await sampler;
      await stock.stop();

      const placed = [...client.placed.values()];
      const invariants = await checkInvariants(sql, { seedStock: SEED_STOCK, orders: placed, outcomeByMode: true });
      const good = placed.filter((p) => p.mode === 'visa' && p.orderId).map((p) => p.orderId as string);
      const spent = await spentAttempts(sql, good);
      o = {
        alive: app.alive(),
        downAt,
        restartAt,
        upAt,
        health,
        probes,
        statuses: client.statuses,
        problems: client.problems,
        violations: invariants.violations,
        minStock: stock.min(),
        spent,
        output: app.output(),
      };
      const downSeen = health.find((h) => h.at > downAt && h.status === 503);
      const upSeen = health.find((h) => h.at > upAt && h.status === 200);
      report('database outage', {
        orders: orders.length,
        outageMs: upAt - downAt,
        healthDownAfterMs: downSeen ? downSeen.at - downAt : null,
        healthUpAfterMs: upSeen ? upSeen.at - upAt : null,
        settledAfterUpMs: Date.now() - upAt,
        settleMs,
        requests: client.statuses,
        probes: probes.map((p) => `${p.path} -> ${p.status}`),
        outcomes: invariants.summary,
        goodOrders: good.length,
        goodStepsWithSpentAttempts: spent.length,
      });
    }, 240_000);

    afterAll(async () => {
      await killAllAppProcesses();
      await pool?.end().catch(() => undefined);
      await cluster?.destroy();
    }, 60_000);

    it(`the app survives a ${OUTAGE_MS / 1000} s outage under load, and /health says down (503), then up (200)`, () => {
      // The very process started before the outage still runs: no crash, no restart.
      expect(o.alive).toBe(true);
      expect(o.health.find((h) => h.at > o.downAt && h.status === 503)).toBeDefined();
      // Every probe sent and answered while the database was away: 503.
      expect(o.health.filter((h) => h.sent > o.downAt && h.at < o.restartAt).filter((h) => h.status !== 503)).toEqual([]);
      expect(o.health.find((h) => h.at > o.upAt && h.status === 200)).toBeDefined();
    });

    it('a request that needs the database gets a plain 503, and the details go to the log', () => {
      expect(o.probes.map((p) => p.path)).toHaveLength(5);
      for (const p of o.probes)
        expect({ path: p.path, status: p.status, body: p.body }).toEqual({ path: p.path, status: 503, body: DB_DOWN });
      // The client met 503s and retried with its keys.
      expect(o.statuses['503'] ?? 0).toBeGreaterThan(0);
      expect(o.output).toMatch(/ECONNREFUSED|terminating connection|Connection terminated/);
    });

    it('sagas resume after the outage and every invariant holds', () => {
      expect(o.violations).toEqual([]);
      expect(o.minStock).toBeGreaterThanOrEqual(0);
      expect(o.problems.filter((p) => !p.includes('leaks internals'))).toEqual([]);
    });

    it(`an outage longer than the step deadline (${FAST_SAGAS.SAGA_STEP_TIMEOUT_MS} ms) spends no attempt of a good order`, () => {
      // Without the timeout job's memory of the outage, each deadline that passed in it counted as a timed-out attempt.
      expect(o.spent).toEqual([]);
    });

    it('no response body during the outage leaks a driver message, SQL or a stack (/health included)', () => {
      expect(o.problems.filter((p) => p.includes('leaks internals'))).toEqual([]);
    });
  });
