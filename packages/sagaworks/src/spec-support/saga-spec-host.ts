import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { buildDataSourceOptions, type DatabaseTarget } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../../../test/support/test-database.js';
import { sagaMigrations } from '../persistence/migrations/index.js';
import type { SagaModuleOptions } from '../saga-module-options.interface.js';
import { SagaModule } from '../saga.module.js';

export interface SagaSpecHostOptions {
  /** The saga module's options (its job is off unless they say otherwise). */
  saga?: SagaModuleOptions;
  /** The feature modules under test. */
  imports: NonNullable<ModuleMetadata['imports']>;
  /** Over the TypeORM options (a logger, say). */
  typeorm?: Pick<Partial<DataSourceOptions>, 'logging' | 'logger'>;
  /** A database of the caller's instead of a fresh one (two hosts in turn on one database). */
  target?: DatabaseTarget;
}

export interface SagaSpecHost {
  app: INestApplication;
  db: TestDatabase;
  close(): Promise<void>;
}

/** A Nest app hosting the saga module and a spec's features on a fresh database of `kind`, migrated. */
export async function startSagaSpecHost(kind: DatabaseKind, options: SagaSpecHostOptions): Promise<SagaSpecHost> {
  const db = await createTestDatabase(kind);
  const target = options.target ?? db.target;
  const moduleRef = await Test.createTestingModule({
    imports: [
      CqrsModule.forRoot(),
      ScheduleModule.forRoot(),
      TypeOrmModule.forRootAsync({
        useFactory: async () => ({
          ...(await buildDataSourceOptions(target, { migrations: sagaMigrations, migrationsRun: true })),
          ...(options.typeorm as object),
          autoLoadEntities: true,
        }),
      }),
      SagaModule.forRoot({ jobEnabled: false, ...options.saga }),
      ...options.imports,
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return {
    app,
    db,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
