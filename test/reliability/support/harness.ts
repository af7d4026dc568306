import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { type Sql, sqlOf } from './invariants';
import { sleep } from './orders';

/** Saga timings short enough for a test to see retries, deadlines and lease expiry within seconds. */
export const FAST_SAGAS = {
  SAGA_STEP_TIMEOUT_MS: '1500',
  SAGA_MAX_ATTEMPTS: '3',
  SAGA_BACKOFF_BASE_MS: '100',
  SAGA_BACKOFF_MAX_MS: '1000',
  SAGA_JOB_INTERVAL_MS: '200',
  SAGA_LEASE_MS: '2000',
  LOG_LEVEL: 'info',
  // One line per record: greppable, and far less to write than the pretty format.
  LOG_FORMAT: 'json',
};

/** A fresh PostgreSQL database with a small pool for the test's own SQL. */
export interface Workspace {
  db: TestDatabase;
  url: string;
  sql: Sql;
  close(): Promise<void>;
}

export async function openWorkspace(): Promise<Workspace> {
  const db = await createTestDatabase('postgres');
  const url = db.target.url as string;
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  // The database may be restarted under a test (outage suite): an idle client's error must not crash Jest.
  pool.on('error', () => undefined);
  return {
    db,
    url,
    sql: sqlOf(pool),
    close: async () => {
      await pool.end().catch(() => undefined);
      await db.drop();
    },
  };
}

/** Samples the lowest stock ever seen while a test runs (the CHECK constraints forbid negatives; this watches). */
export function watchStock(sql: Sql, everyMs = 100): { min: () => number; stop: () => Promise<void> } {
  let min = Number.POSITIVE_INFINITY;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const [row] = await sql<{ a: number; r: number }>(
          `SELECT min(available)::int AS a, min(reserved)::int AS r FROM inventory_products`,
        );
        if (row && row.a !== null) min = Math.min(min, row.a, row.r);
      } catch {
        // the database may be down on purpose
      }
      await sleep(everyMs);
    }
  })();
  return {
    min: () => min,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

export async function countActive(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM saga_instance WHERE status NOT IN ('COMPLETED', 'COMPENSATED', 'FAILED')`,
  );
  return row.n;
}

/** Prints a suite's figures in one greppable line (the issue asks for them). */
export function report(name: string, figures: Record<string, unknown>): void {
  console.log(`[reliability] ${name}: ${JSON.stringify(figures)}`);
}
