import pg from 'pg';
import { type AppProcess, startAppProcess } from '../../support/app-process';
import { FAST_SAGAS, openWorkspace, type Workspace } from './harness';
import { type Sql, sqlOf } from './invariants';
import { sleep } from './orders';
import { waitFor } from '../../support/wait-for';

export const SERVICES = ['orders', 'inventory', 'payment', 'shipping'] as const;
export type Service = (typeof SERVICES)[number];

/** The tables each service owns, as the audit database imports them. */
const OWNED: Record<Service, string[]> = {
  orders: ['orders', 'saga_instance', 'saga_history', 'order_catalog', 'order_returns'],
  inventory: ['inventory_products', 'inventory_reservations'],
  payment: ['payments', 'payment_methods', 'payment_method_receipts'],
  shipping: ['shipments', 'shipment_returns'],
};

/**
 * The app as four processes, each service on a database of its own, joined by a real RabbitMQ, for the suites
 * that kill and restart them. `audit` is a fifth database that sees the four through `postgres_fdw`, so the
 * invariants of DESIGN.md section 3 are checked with the same SQL as on the monolith.
 */
export interface SplitSystem {
  readonly procs: Record<Service, AppProcess>;
  readonly sql: Record<Service, Sql>;
  readonly audit: Sql;
  /** kill -9 of these services at once; resolves once each is back on its port and ready. */
  crash(services: readonly Service[], downMs?: number): Promise<{ service: Service; downMs: number }[]>;
  /** Rows left in each service's outbox (all published: none). */
  outboxes(): Promise<Record<Service, number>>;
  close(): Promise<void>;
}

export async function startSplitSystem(options: {
  name: string;
  brokerUrl: string;
  prefix: string;
  env?: Record<string, string>;
}): Promise<SplitSystem> {
  const spaces = {} as Record<Service, Workspace>;
  for (const service of SERVICES) spaces[service] = await openWorkspace();
  const auditSpace = await openWorkspace();
  const envOf = (service: Service) => ({
    ...FAST_SAGAS,
    ...options.env,
    SERVICES: service,
    DATABASE_URL: spaces[service].url,
    BROKER_URL: options.brokerUrl,
    BROKER_PREFIX: options.prefix,
  });
  const start = (service: Service, port?: number) => startAppProcess({ name: `${options.name}-${service}`, env: envOf(service), port });
  // The participants first: the orders service's first orders find their queues and catalog ready.
  const procs = {} as Record<Service, AppProcess>;
  for (const service of ['inventory', 'payment', 'shipping'] as const) procs[service] = await start(service);
  procs.orders = await start('orders');
  const sql = Object.fromEntries(SERVICES.map((s) => [s, spaces[s].sql])) as Record<Service, Sql>;
  // Orders prices from its copy of the catalog, which inventory published at its start.
  await waitFor(
    async () => (await sql.orders<{ n: number }>(`SELECT count(*)::int AS n FROM order_catalog`))[0].n,
    (n) => n === 5,
    30_000,
    50,
  );

  const auditPool = new pg.Pool({ connectionString: auditSpace.url, max: 2 });
  auditPool.on('error', () => undefined);
  const audit = sqlOf(auditPool);
  await audit(`CREATE EXTENSION IF NOT EXISTS postgres_fdw`);
  for (const service of SERVICES) {
    const url = new URL(spaces[service].url);
    const db = url.pathname.slice(1);
    await audit(
      `CREATE SERVER ${service} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '${url.hostname}', port '${url.port || '5432'}', dbname '${db}')`,
    );
    await audit(
      `CREATE USER MAPPING FOR CURRENT_USER SERVER ${service} OPTIONS (user '${decodeURIComponent(url.username) || 'postgres'}')`,
    );
  }
  // After the migrations ran in each service's database (each process is ready).
  for (const service of SERVICES)
    await audit(`IMPORT FOREIGN SCHEMA public LIMIT TO (${OWNED[service].join(', ')}) FROM SERVER ${service} INTO public`);

  return {
    procs,
    sql,
    audit,
    crash: async (services, downMs = 0) => {
      const killedAt = Date.now();
      await Promise.all(services.map((s) => procs[s].kill('SIGKILL')));
      if (downMs) await sleep(downMs);
      return Promise.all(
        services.map(async (s) => {
          procs[s] = await start(s, procs[s].port);
          return { service: s, downMs: procs[s].readyAt - killedAt };
        }),
      );
    },
    outboxes: async () => {
      const counts = {} as Record<Service, number>;
      for (const s of SERVICES) counts[s] = (await sql[s]<{ n: number }>(`SELECT count(*)::int AS n FROM sagaworks_outbox`))[0].n;
      return counts;
    },
    close: async () => {
      await Promise.all(SERVICES.map((s) => procs[s]?.kill('SIGKILL')));
      await auditPool.end().catch(() => undefined);
      await auditSpace.close();
      for (const s of SERVICES) await spaces[s].close();
    },
  };
}
