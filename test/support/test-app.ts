import type { Server } from 'node:http';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { type AppConfig, loadAppConfig } from '../../src/config/app-config';
import { APP_OPTIONS, configureApp } from '../../src/http/configure-app';
import { SagaClock, SagaOrchestrator, SagaTimeoutJob } from 'sagaworks';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './test-database';
import { waitFor } from './wait-for';

export { waitFor };

export interface TestAppOptions {
  saga?: Partial<AppConfig['saga']>;
  seedStock?: number;
  /** Other top-level config fields (say `adminToken`, `log`). */
  config?: Partial<Omit<AppConfig, 'saga'>>;
  /** Provider overrides, say `(b) => b.overrideProvider(LOG_DESTINATION).useValue(stream)`. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Modules imported beside the app, say the fault injection of test/support. */
  imports?: ModuleMetadata['imports'];
  /** A database another app already uses (several instances on one database); left to its owner to drop. */
  database?: TestDatabase;
}

/** The real app (every module, `configureApp()`), on a database of its own. */
export interface TestApp {
  app: INestApplication<Server>;
  db: TestDatabase;
  dataSource: DataSource;
  job: SagaTimeoutJob;
  clock: SagaClock;
  orchestrator: SagaOrchestrator;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function startTestApp(kind: DatabaseKind, options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.database ?? (await createTestDatabase(kind));
  const base = loadAppConfig({});
  const config: AppConfig = {
    ...base,
    databaseUrl: db.target.url,
    pgliteDataDir: 'memory://',
    seedStock: options.seedStock ?? 100,
    ...options.config,
    saga: { ...base.saga, stepTimeoutMs: 5_000, jobIntervalMs: 100, backoffBaseMs: 50, backoffMaxMs: 200, ...options.saga },
  };
  const builder = Test.createTestingModule({ imports: [AppModule.forRoot(config), ...(options.imports ?? [])] });
  const moduleRef = await (options.override ? options.override(builder) : builder).compile();
  const app = moduleRef.createNestApplication<INestApplication<Server>>({ ...APP_OPTIONS, logger: ['error'] });
  configureApp(app);
  await app.init();
  return {
    app,
    db,
    dataSource: app.get<DataSource>(getDataSourceToken()),
    job: app.get(SagaTimeoutJob),
    clock: app.get(SagaClock),
    orchestrator: app.get(SagaOrchestrator),
    http: () => request(app.getHttpServer()),
    close: async () => {
      await app.close();
      if (!options.database) await db.drop();
    },
  };
}

export interface OrderRequest {
  customerId: string;
  items: { sku: string; quantity: number }[];
  paymentToken: string;
  shippingAddress: { line1: string; city: string; postalCode: string; country: string };
}

export function orderRequest(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    customerId: 'cust-1',
    items: [{ sku: 'SKU-001', quantity: 2 }],
    paymentToken: 'tok_visa',
    shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    ...overrides,
  };
}

/** Places an order over HTTP and waits until it is CONFIRMED or CANCELLED; returns the final order. */
export async function placeAndSettle(t: TestApp, body: OrderRequest = orderRequest(), timeoutMs = 20_000): Promise<SettledOrder> {
  const res = await t.http().post('/orders').send(body).expect(201);
  return settle(t, (res.body as { id: string }).id, timeoutMs);
}

export interface SettledOrder {
  id: string;
  status: string;
  sagaId: string;
  totalCents: number;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
  failureReason?: string;
}

export async function settle(t: TestApp, orderId: string, timeoutMs = 20_000): Promise<SettledOrder> {
  const order = await waitFor(
    async () => (await t.http().get(`/orders/${orderId}`).expect(200)).body as SettledOrder,
    (o) => o.status !== 'PENDING',
    timeoutMs,
  );
  // The order settles one transition before its saga does; wait for the saga's terminal status too.
  await waitFor(
    async () => ((await t.http().get(`/sagas/${order.sagaId}`).expect(200)).body as { status: string }).status,
    (s) => ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(s),
    timeoutMs,
  );
  return order;
}

/**
 * Settles an order one of whose steps (`silentStep`) never answers. Whenever its saga waits on that step, the saga
 * clock jumps to the step's deadline, so the timeout job retries and then compensates it; the other steps keep a
 * deadline no starved machine can miss, and the test does not sleep through the silent one's.
 */
export async function settleSilentStep(t: TestApp, orderId: string, silentStep: string, timeoutMs = 20_000): Promise<SettledOrder> {
  const { sagaId } = (await t.http().get(`/orders/${orderId}`).expect(200)).body as SettledOrder;
  await waitFor(
    async () => {
      const state = await t.orchestrator.store.load(sagaId);
      if (!state) throw new Error(`saga ${sagaId} of order ${orderId} does not exist`);
      const untilDue = (state.dueAt?.getTime() ?? 0) - t.clock.now().getTime();
      if (state.status === 'RUNNING' && state.steps[state.stepIndex]?.name === silentStep && untilDue >= 0) t.clock.advance(untilDue + 1);
      return { status: state.status, step: state.steps[state.stepIndex]?.name };
    },
    ({ status }) => ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(status),
    timeoutMs,
    100,
  );
  return settle(t, orderId, timeoutMs);
}

/** Per-SKU stock as the database holds it: conservation says available + reserved is constant. */
export async function stockBySku(dataSource: DataSource): Promise<Record<string, { available: number; reserved: number }>> {
  const rows = await dataSource.query<{ sku: string; available: number; reserved: number }[]>(
    `SELECT sku, available, reserved FROM inventory_products ORDER BY sku`,
  );
  return Object.fromEntries(rows.map((r) => [r.sku, { available: Number(r.available), reserved: Number(r.reserved) }]));
}
