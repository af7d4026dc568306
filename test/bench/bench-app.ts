import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { type AppConfig, loadAppConfig } from '../../src/config/app-config';
import { APP_OPTIONS, configureApp } from '../../src/http/configure-app';
import { SagaOrchestrator } from 'sagaworks';
import type { PoolLike } from './pg-admin';
import { SqlCounter } from './sql-counter';

/** Enough stock that no bench order is ever short (int4 column; each order takes one unit). */
export const BENCH_SEED_STOCK = 1_000_000_000;

export type BenchDatabase = 'postgres' | 'pglite';

export interface BenchAppOptions {
  database: BenchDatabase;
  /** PostgreSQL URL (database: postgres only). */
  url?: string;
  /** Listen on a loopback port (the `--http` mode). */
  http: boolean;
  poolSize?: number;
  /** Saga settings over the environment's (the scale mode turns the timeout job off). */
  saga?: Partial<AppConfig['saga']>;
}

export interface BenchApp {
  app: INestApplication<Server>;
  config: AppConfig;
  dataSource: DataSource;
  commandBus: CommandBus;
  eventBus: EventBus;
  orchestrator: SagaOrchestrator;
  counter: SqlCounter;
  /** The app's `pg` pool (PostgreSQL only). */
  pool: PoolLike | null;
  baseUrl: string | null;
  close(): Promise<void>;
}

/**
 * The real app, exactly as `main.ts` builds it (every module, `configureApp()`), configured from the environment
 * like the app is, with the bench's database, a stock that never runs out, and error-only logging.
 */
export async function startBenchApp(options: BenchAppOptions): Promise<BenchApp> {
  const base = loadAppConfig(process.env);
  const config: AppConfig = {
    ...base,
    databaseUrl: options.database === 'postgres' ? options.url : undefined,
    pgliteDataDir: 'memory://',
    dbPoolSize: options.poolSize ?? base.dbPoolSize,
    seedStock: BENCH_SEED_STOCK,
    saga: { ...base.saga, ...options.saga },
  };
  const app = await NestFactory.create<INestApplication<Server>>(AppModule.forRoot(config), { ...APP_OPTIONS, logger: ['error'] });
  configureApp(app);
  await app.init();
  const dataSource = app.get<DataSource>(getDataSourceToken());
  // A database given by DATABASE_URL may have been seeded with little stock earlier (the seeder never resets it).
  await dataSource.query(`UPDATE inventory_products SET available = $1 WHERE available < $1 / 2`, [BENCH_SEED_STOCK]);
  const counter = new SqlCounter();
  const driver = dataSource.driver as unknown as { master?: PoolLike & { options?: { Client?: { prototype: object } } } };
  counter.install(dataSource, options.database === 'postgres', driver.master?.options?.Client);
  let baseUrl: string | null = null;
  if (options.http) {
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${address.port}`;
  }
  return {
    app,
    config,
    dataSource,
    commandBus: app.get(CommandBus),
    eventBus: app.get(EventBus),
    orchestrator: app.get(SagaOrchestrator),
    counter,
    pool: options.database === 'postgres' ? (driver.master ?? null) : null,
    baseUrl,
    close: () => app.close(),
  };
}
