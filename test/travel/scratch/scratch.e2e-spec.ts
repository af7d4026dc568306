import { afterAll, describe, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { SagaModule } from '../../../src/saga';
import { travelMigrations } from '../migrations';
import { TravelModule } from '../travel.module';

describe('scratch', () => {
  const apps: INestApplication[] = [];
  afterAll(async () => { for (const a of apps) await a.close(); });

  for (const mode of ['sync', 'async'] as const) {
    it(`inspectionApi false via ${mode}`, async () => {
      const saga = mode === 'sync' ? SagaModule.forRoot({ jobEnabled: false, inspectionApi: false }) : SagaModule.forRootAsync({ useFactory: () => ({ jobEnabled: false, inspectionApi: false }) });
      const m = await Test.createTestingModule({
        imports: [
          CqrsModule.forRoot(), ScheduleModule.forRoot(),
          TypeOrmModule.forRootAsync({ useFactory: async () => ({ ...(await buildDataSourceOptions({ pgliteDataDir: 'memory://', poolSize: 1 }, { migrations: travelMigrations, migrationsRun: true })), autoLoadEntities: true }) }),
          saga, TravelModule,
        ],
      }).compile();
      const app = m.createNestApplication({ logger: false });
      await app.init();
      apps.push(app);
      console.log(mode, 'GET /sagas ->', (await request(app.getHttpServer()).get('/sagas')).status);
    });
  }
});
