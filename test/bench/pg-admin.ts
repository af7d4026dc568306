import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** Where the bench looks for a server when DATABASE_URL is unset. */
export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchPostgres {
  url: string;
  database: string;
  /** True when the bench created the database (and drops it at the end). */
  created: boolean;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * `DATABASE_URL` as given, or a fresh `sagaworks_bench_<rand>` on the default local server (dropped afterwards),
 * or null when neither is reachable.
 */
export async function benchPostgres(env: NodeJS.ProcessEnv = process.env): Promise<BenchPostgres | { unavailable: string }> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, database: databaseOf(env.DATABASE_URL), created: false, drop: () => Promise.resolve() };
  }
  const name = `sagaworks_bench_${randomBytes(5).toString('hex')}`;
  try {
    await withClient(DEFAULT_ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  } catch (error) {
    return { unavailable: `DATABASE_URL unset and ${DEFAULT_ADMIN_URL} not usable: ${(error as Error).message}` };
  }
  return {
    url: withDatabase(DEFAULT_ADMIN_URL, name),
    database: name,
    created: true,
    drop: () => withClient(DEFAULT_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** The part of `pg.Pool` the bench uses to reach each of the app's connections. */
export interface PoolLike {
  totalCount: number;
  connect(): Promise<pg.PoolClient>;
}

export interface XactSnapshot {
  xactCommit: number;
  xactRollback: number;
  /** CPU seconds (user + system) of the server backends connected to the bench database. */
  backendCpu: Map<number, number>;
}

let clockTicks: number | null | undefined;
function ticksPerSecond(): number | null {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || null;
    } catch {
      clockTicks = null;
    }
  }
  return clockTicks;
}

/** utime + stime of a local process, in seconds; null when it is not visible (remote server, other namespace). */
function processCpuSeconds(pid: number): number | null {
  const hz = ticksPerSecond();
  if (!hz) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / hz;
  } catch {
    return null;
  }
}

/**
 * Reads `pg_stat_database` for the bench database from a separate connection to another database on the same
 * server (`postgres`), so the reader's own transactions are never counted in the figures it reads.
 *
 * PostgreSQL 15 backends publish their counters lazily (at most once a second, or when idle for a while), so a
 * snapshot first asks every connection of the app's pool to publish: `pg_stat_force_next_flush()` makes the
 * backend flush when that statement's own transaction ends, i.e. before its result reaches us. Those K
 * statements are K extra commits in the bench database, which {@link XactReader.flush} returns for subtraction.
 */
export class XactReader {
  private constructor(
    private readonly client: pg.Client,
    private readonly database: string,
  ) {}

  static async open(benchUrl: string, database: string): Promise<XactReader | null> {
    const client = new pg.Client({ connectionString: withDatabase(benchUrl, 'postgres'), connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      return new XactReader(client, database);
    } catch {
      return null;
    }
  }

  get pgClient(): pg.Client {
    return this.client;
  }

  /** Makes every connection of `pool` publish its counters; returns how many statements that took. */
  async flush(pool: PoolLike): Promise<number> {
    const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
    try {
      await Promise.all(clients.map((c) => c.query('SELECT pg_stat_force_next_flush()')));
    } finally {
      for (const c of clients) c.release();
    }
    return clients.length;
  }

  async snapshot(): Promise<XactSnapshot> {
    const stats = await this.client.query<{ xact_commit: string; xact_rollback: string }>(
      `SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = $1`,
      [this.database],
    );
    const backends = await this.client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
      [this.database],
    );
    const backendCpu = new Map<number, number>();
    for (const { pid } of backends.rows) {
      const cpu = processCpuSeconds(pid);
      if (cpu !== null) backendCpu.set(pid, cpu);
    }
    return { xactCommit: Number(stats.rows[0]?.xact_commit ?? 0), xactRollback: Number(stats.rows[0]?.xact_rollback ?? 0), backendCpu };
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/** CPU seconds the bench database's backends used between two snapshots (backends new since `before` count from 0). */
export function backendCpuDelta(before: XactSnapshot, after: XactSnapshot): number | null {
  if (after.backendCpu.size === 0) return null;
  let total = 0;
  for (const [pid, cpu] of after.backendCpu) total += cpu - (before.backendCpu.get(pid) ?? 0);
  return total;
}
