import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { latencySummary } from './load';

/**
 * The peer the anchors name, run by the bench in the same process, on the same database and right after
 * Sagaworks at the same concurrency: a hand-rolled orchestrator on bare `pg`, with no framework, bus, history or
 * timeout job. It runs the same happy saga (price and place the order, reserve stock, charge, ship, confirm), each
 * step ONE transaction that does the step's write and moves the saga row on, conditional on its version: 5
 * commits and 17 statements per saga, as the anchor's ("5 commits per saga, ~17 statements"). On a machine whose speed drifts by ±15% from one minute to the next, the ratio of the two
 * rates measured back to back is steadier than either rate.
 */
const SCHEMA = `
  DROP TABLE IF EXISTS hand_rolled_sagas, hand_rolled_shipments, hand_rolled_payments, hand_rolled_orders, hand_rolled_products;
  CREATE TABLE hand_rolled_products (sku text PRIMARY KEY, price_cents int NOT NULL, available int NOT NULL CHECK (available >= 0),
    reserved int NOT NULL DEFAULT 0);
  CREATE TABLE hand_rolled_orders (id uuid PRIMARY KEY, customer_id text NOT NULL, sku text NOT NULL, quantity int NOT NULL,
    total_cents int NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE hand_rolled_payments (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), order_id uuid UNIQUE NOT NULL, amount_cents int NOT NULL, status text NOT NULL);
  CREATE TABLE hand_rolled_shipments (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), order_id uuid UNIQUE NOT NULL, tracking text NOT NULL);
  CREATE TABLE hand_rolled_sagas (id uuid PRIMARY KEY, order_id uuid NOT NULL UNIQUE, status text NOT NULL, step text, version int NOT NULL,
    deadline timestamptz, updated_at timestamptz NOT NULL);
  CREATE INDEX hand_rolled_sagas_deadline_idx ON hand_rolled_sagas (deadline) WHERE deadline IS NOT NULL;
  INSERT INTO hand_rolled_products (sku, price_cents, available)
    SELECT 'SKU-00' || i, 100 * i, 100000000 FROM generate_series(1, 5) AS i;`;

const DROP = `DROP TABLE IF EXISTS hand_rolled_sagas, hand_rolled_shipments, hand_rolled_payments, hand_rolled_orders, hand_rolled_products`;

export interface HandRolledRow {
  peer: 'hand-rolled pg orchestrator';
  concurrency: number;
  n: number;
  sagasPerSecond: number;
  latencyMs: ReturnType<typeof latencySummary>;
  completed: number;
  perSaga: { sqlStatements: number; commits: number };
  nodeCpuMsPerSaga: number;
}

type Query = (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;

export class HandRolledOrchestrator {
  private statements = 0;
  private commits = 0;

  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string, poolSize: number): Promise<HandRolledOrchestrator> {
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    // An idle client whose backend another suite ended must not end the process (pg emits it on the pool).
    pool.on('error', () => undefined);
    await pool.query(SCHEMA);
    return new HandRolledOrchestrator(pool);
  }

  async close(): Promise<void> {
    await this.pool.query(DROP).catch(() => undefined);
    await this.pool.end();
  }

  /** One transaction: BEGIN, the step's statements, COMMIT. */
  private async tx(work: (q: Query) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    const q: Query = (sql, params) => {
      this.statements++;
      return client.query(sql, params);
    };
    try {
      await q('BEGIN');
      await work(q);
      await q('COMMIT');
      this.commits++;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Moves the saga row to its next step; a stale version means another worker moved it (never, here). */
  private static async advance(q: Query, sagaId: string, version: number, step: string | null, status = 'RUNNING'): Promise<void> {
    const moved = await q(
      `UPDATE hand_rolled_sagas SET step = $3, status = $4, version = version + 1, updated_at = now(),
         deadline = CASE WHEN $3::text IS NULL THEN NULL ELSE now() + interval '60 seconds' END
       WHERE id = $1 AND version = $2`,
      [sagaId, version, step, status],
    );
    if (moved.rowCount !== 1) throw new Error(`saga ${sagaId} moved on`);
  }

  /** One happy saga, start to end; resolves when it is COMPLETED. */
  async run(i: number): Promise<void> {
    const orderId = crypto.randomUUID();
    const sagaId = crypto.randomUUID();
    const sku = `SKU-00${(i % 5) + 1}`;
    let amount = 0;
    await this.tx(async (q) => {
      const placed = await q(
        `INSERT INTO hand_rolled_orders (id, customer_id, sku, quantity, total_cents, status)
         SELECT $1, $2, sku, 1, price_cents, 'PENDING' FROM hand_rolled_products WHERE sku = $3 RETURNING total_cents`,
        [orderId, `peer-${i}`, sku],
      );
      amount = (placed.rows[0] as { total_cents: number }).total_cents;
      await q(
        `INSERT INTO hand_rolled_sagas (id, order_id, status, step, version, deadline, updated_at) VALUES ($1, $2, 'RUNNING', 'reserve', 1, now() + interval '60 seconds', now())`,
        [sagaId, orderId],
      );
    });
    await this.tx(async (q) => {
      const reserved = await q(
        `UPDATE hand_rolled_products SET available = available - 1, reserved = reserved + 1 WHERE sku = $1 AND available >= 1`,
        [sku],
      );
      if (reserved.rowCount !== 1) throw new Error(`out of stock: ${sku}`);
      await HandRolledOrchestrator.advance(q, sagaId, 1, 'charge');
    });
    await this.tx(async (q) => {
      await q(
        `INSERT INTO hand_rolled_payments (order_id, amount_cents, status) VALUES ($1, $2, 'CHARGED') ON CONFLICT (order_id) DO NOTHING`,
        [orderId, amount],
      );
      await HandRolledOrchestrator.advance(q, sagaId, 2, 'ship');
    });
    await this.tx(async (q) => {
      await q(`INSERT INTO hand_rolled_shipments (order_id, tracking) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING`, [
        orderId,
        `TRK-${i}`,
      ]);
      await HandRolledOrchestrator.advance(q, sagaId, 3, 'confirm');
    });
    // The last step is one statement on its own: confirming the order and completing the saga commit together.
    this.statements++;
    const done = await this.pool.query(
      `WITH o AS (UPDATE hand_rolled_orders SET status = 'CONFIRMED', updated_at = now() WHERE id = $1 AND status = 'PENDING' RETURNING id)
       UPDATE hand_rolled_sagas SET step = NULL, status = 'COMPLETED', version = version + 1, deadline = NULL, updated_at = now()
       WHERE id = $2 AND version = 4 AND EXISTS (SELECT 1 FROM o)`,
      [orderId, sagaId],
    );
    this.commits++;
    if (done.rowCount !== 1) throw new Error(`saga ${sagaId} moved on`);
  }

  /** `n` sagas with at most `concurrency` in flight, as the bench drives Sagaworks. */
  async load(n: number, concurrency: number, offset = 0): Promise<HandRolledRow> {
    this.statements = 0;
    this.commits = 0;
    const latencies = new Float64Array(n);
    let completed = 0;
    let next = 0;
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const worker = async (): Promise<void> => {
      for (let i = next++; i < n; i = next++) {
        const t0 = performance.now();
        await this.run(offset + i);
        latencies[i] = performance.now() - t0;
        completed++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
    return {
      peer: 'hand-rolled pg orchestrator',
      concurrency,
      n,
      sagasPerSecond: round((n * 1000) / wallMs, 1),
      latencyMs: latencySummary(latencies),
      completed,
      perSaga: { sqlStatements: round(this.statements / n), commits: round(this.commits / n) },
      nodeCpuMsPerSaga: round((cpu.user + cpu.system) / 1000 / n),
    };
  }
}
