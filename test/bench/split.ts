import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { type AppProcess, startAppProcess } from '../support/app-process';
import { type Ended, latencySummary, runLoad, type SagaEnds, waitForEnd } from './load';
import { DEFAULT_ADMIN_URL } from './pg-admin';

const SERVICES = ['orders', 'inventory', 'payment', 'shipping'] as const;
const CLOCK_TICKS_PER_SECOND = 100;
const TERMINAL = ['COMPLETED', 'COMPENSATED', 'FAILED'];

/** utime + stime of a process so far, in seconds (Linux /proc). */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Polls the saga table for the sagas a load waits on: an app in another process publishes no event here. */
class PolledSagaEnds implements SagaEnds {
  private readonly waiting = new Map<string, (e: Ended) => void>();
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly pool: pg.Pool) {
    this.timer = setInterval(() => void this.poll(), 10);
  }

  wait(sagaId: string, timeoutMs: number): Promise<Ended> {
    return waitForEnd(this.waiting, sagaId, timeoutMs);
  }

  private async poll(): Promise<void> {
    if (this.busy || this.waiting.size === 0) return;
    this.busy = true;
    try {
      const { rows } = await this.pool.query<{ id: string; status: string }>(
        `SELECT id, status FROM saga_instance WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[])`,
        [[...this.waiting.keys()], TERMINAL],
      );
      const at = performance.now();
      for (const row of rows) {
        this.waiting.get(row.id)?.({ at, status: row.status });
        this.waiting.delete(row.id);
      }
    } finally {
      this.busy = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.BENCH_ADMIN_URL ?? DEFAULT_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(process.env.BENCH_ADMIN_URL ?? DEFAULT_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface SplitRow {
  layout: 'split' | 'monolith';
  processes: number;
  concurrency: number;
  n: number;
  sagasPerSecond: number;
  latencyMs: ReturnType<typeof latencySummary>;
  outcomes: Record<string, number>;
  /** CPU seconds each process spent per 1,000 sagas. */
  cpuSecondsPer1000: Record<string, number | null>;
  errors: string[];
}

/** Starts one layout (four services apart, or the monolith, both as built child processes) and drives it. */
async function runLayout(layout: SplitRow['layout'], n: number, concurrency: number, warmup: number, brokerUrl: string): Promise<SplitRow> {
  const tag = randomBytes(4).toString('hex');
  const names = layout === 'split' ? SERVICES.map((s) => `sagaworks_split_${s}_${tag}`) : [`sagaworks_mono_${tag}`];
  await admin(async (c) => {
    for (const name of names) await c.query(`CREATE DATABASE ${name}`);
  });
  const children: AppProcess[] = [];
  // The shipped build's settings, quiet: one line per request would be measured too.
  const start = (name: string, env: Record<string, string>) =>
    startAppProcess({ name: `bench-${name}`, env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env } });
  const pool = new pg.Pool({ connectionString: databaseUrl(names[0]), max: 2 });
  try {
    const common = { SEED_STOCK: '1000000000', DB_POOL_SIZE: '10' };
    if (layout === 'monolith') children.push(await start('monolith', { ...common, DATABASE_URL: databaseUrl(names[0]) }));
    else
      // Participants first, so the catalog reaches orders' queue; orders' database is names[0].
      for (const service of ['inventory', 'payment', 'shipping', 'orders'] as const)
        children.push(
          await start(service, {
            ...common,
            SERVICES: service,
            DATABASE_URL: databaseUrl(names[SERVICES.indexOf(service)]),
            BROKER_URL: brokerUrl,
            BROKER_PREFIX: `sagaworks-bench-${tag}`,
          }),
        );
    const orders = children.find((c) => c.name === 'bench-orders' || c.name === 'bench-monolith') as AppProcess;
    if (layout === 'split')
      for (let i = 0; i < 300; i++) {
        const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_catalog`);
        if (rows[0].n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    const watcher = new PolledSagaEnds(pool);
    try {
      const target = { commandBus: null, baseUrl: orders.url, watcher };
      if (warmup > 0) await runLoad(target, warmup, concurrency, 'happy', 1_000_000);
      const before = children.map((c) => cpuSeconds(c.pid));
      const result = await runLoad(target, n, concurrency, 'happy');
      const cpu: Record<string, number | null> = {};
      children.forEach((c, i) => {
        const after = cpuSeconds(c.pid);
        const spent = before[i];
        cpu[c.name.replace(/^bench-/, '')] = after === null || spent === null ? null : Math.round(((after - spent) / n) * 1000 * 100) / 100;
      });
      return {
        layout,
        processes: children.length,
        concurrency,
        n,
        sagasPerSecond: Math.round((n / result.wallMs) * 1000 * 10) / 10,
        latencyMs: latencySummary(result.latenciesMs.slice().sort()),
        outcomes: result.outcomes,
        cpuSecondsPer1000: cpu,
        errors: result.errors,
      };
    } finally {
      watcher.close();
    }
  } finally {
    await Promise.all(children.map((c) => c.kill('SIGTERM')));
    await pool.end();
    await admin(async (c) => {
      for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
  }
}

/**
 * `--split`: the same happy-path load over HTTP against the four services apart (four processes, four databases,
 * RabbitMQ) and against the monolith (one process, one database), both built and run as child processes in this
 * session, measured the same way (the saga table polled every 10 ms for the ends).
 */
export async function splitBench(options: { n: number; concurrency: number[]; warmup: number }): Promise<Record<string, unknown>> {
  const brokerUrl = process.env.BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const rows: SplitRow[] = [];
  for (const concurrency of options.concurrency)
    for (const layout of ['monolith', 'split'] as const) {
      process.stderr.write(`[bench] split: ${layout} at ${concurrency} in flight, ${options.n} sagas\n`);
      rows.push(await runLayout(layout, options.n, concurrency, options.warmup, brokerUrl));
    }
  const ratios = options.concurrency.map((concurrency) => {
    const of = (layout: SplitRow['layout']) => rows.find((r) => r.layout === layout && r.concurrency === concurrency) as SplitRow;
    return { concurrency, splitVsMonolith: Math.round((of('split').sagasPerSecond / of('monolith').sagasPerSecond) * 100) / 100 };
  });
  return { broker: brokerUrl.replace(/\/\/[^@]*@/, '//'), rows, ratios };
}
