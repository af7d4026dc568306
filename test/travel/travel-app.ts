import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SagaOrchestrator } from 'sagaworks';
import { SagaTestKit } from 'sagaworks/testing';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../support/test-database';
import { TravelAppModule, type TravelAppOptions } from './travel-app.module';

/** A travel app on a database of its own, with a saga test kit attached. */
export interface TravelApp {
  app: INestApplication;
  dataSource: DataSource;
  orchestrator: SagaOrchestrator;
  kit: SagaTestKit;
  close(): Promise<void>;
}

export async function startTravelApp(kind: DatabaseKind, options: Omit<TravelAppOptions, 'target'>): Promise<TravelApp> {
  const db: TestDatabase = await createTestDatabase(kind);
  let app: INestApplication | undefined;
  try {
    const moduleRef = await Test.createTestingModule({ imports: [TravelAppModule.forRoot({ ...options, target: db.target })] }).compile();
    app = moduleRef.createNestApplication({ logger: process.env.TRAVEL_LOG ? ['error', 'warn'] : false });
    await app.init();
  } catch (error) {
    await app?.close();
    await db.drop();
    throw error;
  }
  const started = app;
  return {
    app: started,
    dataSource: started.get<DataSource>(getDataSourceToken()),
    orchestrator: started.get(SagaOrchestrator),
    kit: SagaTestKit.for(started),
    close: async () => {
      await started.close();
      await db.drop();
    },
  };
}
