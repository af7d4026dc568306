import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { latencySummary } from './load';
import { orderStatements } from './order-statements';

/**
 * The peer the anchors name, run by the bench in the same process, on the same database and right after
 * Sagaworks at the same concurrency: a hand-rolled orchestrator on bare `pg`, with no framework, bus, history or
 * timeout job. It runs the same happy saga (price and place the order, reserve stock, charge, ship, confirm), each
 * step ONE transaction that does the step's write and moves the saga row on, conditional on its version: 5
 * commits and 17 statements per saga, as the anchor's ("5 commits per saga, ~17 statements"). On a machine whose speed drifts by ±15% from one minute to the next, the ratio of the two
 * rates measured back to back is steadier than either rate.
 */
const ORDER = orderStatements('hand_rolled');
const SCHEMA = `${ORDER.schema}
  DROP TABLE IF EXISTS hand_rolled_sagas;
  CREATE TABLE hand_rolled_sagas (id uuid PRIMARY KEY, order_id uuid NOT NULL UNIQUE, status text NOT NULL, step text, version int NOT NULL,
    deadline timestamptz, updated_at timestamptz NOT NULL);
  CREATE INDEX hand_rolled_sagas_deadline_idx ON hand_rolled_sagas (deadline) WHERE deadline IS NOT NULL;`;

const DROP = `DROP TABLE IF EXISTS hand_rolled_sagas; ${ORDER.drop}`;

export interface HandRolledRow {
  peer: 'hand-rolled pg orchestrator';
  concurrency: number;
  n: number;
  sagasPerSecond: number;
  latencyMs: ReturnType<typeof latencySummary>;
  completed: number;
  perSaga: { sqlStatements: number; commits: number };
  nodeCpuMsPerSaga: number;
  nodeUserCpuMsPerSaga: number;
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
      const placed = await q(ORDER.place, [orderId, `peer-${i}`, sku]);
      amount = (placed.rows[0] as { total_cents: number }).total_cents;
      await q(
        `INSERT INTO hand_rolled_sagas (id, order_id, status, step, version, deadline, updated_at) VALUES ($1, $2, 'RUNNING', 'reserve', 1, now() + interval '60 seconds', now())`,
        [sagaId, orderId],
      );
    });
    await this.tx(async (q) => {
      const reserved = await q(ORDER.reserve, [sku]);
      if (reserved.rowCount !== 1) throw new Error(`out of stock: ${sku}`);
      await HandRolledOrchestrator.advance(q, sagaId, 1, 'charge');
    });
    await this.tx(async (q) => {
      await q(ORDER.charge, [orderId, amount]);
      await HandRolledOrchestrator.advance(q, sagaId, 2, 'ship');
    });
    await this.tx(async (q) => {
      await q(ORDER.ship, [orderId, `TRK-${i}`]);
      await HandRolledOrchestrator.advance(q, sagaId, 3, 'confirm');
    });
    // The last step is one statement on its own: confirming the order and completing the saga commit together.
    this.statements++;
    const done = await this.pool.query(
      `WITH o AS (${ORDER.confirm} RETURNING id)
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
      nodeUserCpuMsPerSaga: round(cpu.user / 1000 / n),
    };
  }
}
