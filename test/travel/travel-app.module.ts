import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { buildDataSourceOptions, type DatabaseTarget } from '../../src/database/data-source-options';
import { SagaModule } from 'sagaworks';
import { travelMigrations } from './migrations';
import { travelSagaOptions } from './travel-saga.options';

export interface TravelAppOptions {
  target: DatabaseTarget;
  /** `factory` configures the saga module with `forRootAsync`, as an app reading its settings at boot would. */
  sagaConfig?: 'static' | 'factory';
  /** The feature modules: `TravelModule`, or a broken variant of it. */
  features: Type[];
}

/** A whole travel app: buses, scheduler, database, saga runtime, and the given features. */
@Module({})
export class TravelAppModule {
  static forRoot(options: TravelAppOptions): DynamicModule {
    const sagas =
      options.sagaConfig === 'factory'
        ? SagaModule.forRootAsync({ useFactory: () => Promise.resolve({ ...travelSagaOptions, instanceId: 'travel-async' }) })
        : SagaModule.forRoot({ ...travelSagaOptions, instanceId: 'travel' });
    return {
      module: TravelAppModule,
      imports: [
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({
            ...(await buildDataSourceOptions(options.target, { migrations: travelMigrations, migrationsRun: true })),
            autoLoadEntities: true,
          }),
        }),
        sagas,
        ...options.features,
      ],
    };
  }
}
