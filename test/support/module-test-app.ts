import type { Server } from 'node:http';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { CommandBus, CqrsModule, EventBus, type IEvent, QueryBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { buildDataSourceOptions, connectAndMigrate } from '../../src/database/data-source-options';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './test-database';

/** One domain module alone on a database of its own, with every event it publishes recorded. */
export interface ModuleTestApp {
  app: INestApplication<Server>;
  db: TestDatabase;
  commandBus: CommandBus;
  queryBus: QueryBus;
  dataSource: DataSource;
  /** Events published since the last `events.length = 0`. */
  events: IEvent[];
  close(): Promise<void>;
}

export async function startModuleTestApp(
  kind: DatabaseKind,
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  parts: { migrations: Function[]; module: Type | DynamicModule },
): Promise<ModuleTestApp> {
  const db = await createTestDatabase(kind);
  const moduleRef = await Test.createTestingModule({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRootAsync({
        useFactory: async () => ({
          ...(await buildDataSourceOptions(db.target, { migrations: parts.migrations })),
          autoLoadEntities: true,
        }),
        dataSourceFactory: connectAndMigrate,
      }),
      parts.module,
    ],
  }).compile();
  const app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
  await app.init();
  const events: IEvent[] = [];
  app.get(EventBus).subscribe((e: IEvent) => events.push(e));
  return {
    app,
    db,
    commandBus: app.get(CommandBus),
    queryBus: app.get(QueryBus),
    dataSource: app.get<DataSource>(getDataSourceToken()),
    events,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
