import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SagaOperatorController } from './api/saga-operator.controller';
import { SagasController } from './api/sagas.controller';
import type { SagaDefinition } from './definition/saga-definition';
import { SagaHistoryEntity } from './persistence/saga-history.entity';
import { SagaInstanceEntity } from './persistence/saga-instance.entity';
import { SagaStore } from './persistence/saga-store';
import { RESOLVED_SAGA_OPTIONS, resolveSagaOptions } from './runtime/resolve-options';
import { SagaClock } from './runtime/saga-clock';
import { SagaContractCheck } from './runtime/saga-contract-check';
import { SagaOrchestrator } from './runtime/saga-orchestrator';
import { SagaRegistry } from './runtime/saga-registry';
import { SagaTimeoutJob } from './runtime/saga-timeout.job';
import type { ResolvedSagaModuleOptions, SagaModuleOptions } from './saga-module-options.interface';
import { ConfigurableSagaModule, SAGA_ASYNC_OPTIONS_TYPE, SAGA_MODULE_OPTIONS, SAGA_OPTIONS_TYPE } from './saga.module-definition';

const coreProviders: Provider[] = [
  { provide: RESOLVED_SAGA_OPTIONS, useFactory: (o: SagaModuleOptions) => resolveSagaOptions(o), inject: [SAGA_MODULE_OPTIONS] },
  {
    provide: SagaStore,
    useFactory: (options: ResolvedSagaModuleOptions, moduleRef: ModuleRef) =>
      new SagaStore(() => moduleRef.get<DataSource>(getDataSourceToken(options.connectionName), { strict: false })),
    inject: [RESOLVED_SAGA_OPTIONS, ModuleRef],
  },
  SagaRegistry,
  SagaClock,
  SagaOrchestrator,
  SagaTimeoutJob,
  SagaContractCheck,
];

/**
 * Durable sagas for a Nest app. Import once with `forRoot`/`forRootAsync` (global), and register each feature's
 * definitions with `forFeature`. Needs `CqrsModule.forRoot()`, `ScheduleModule.forRoot()` and a TypeORM
 * connection in the host app, and the saga migrations (`sagaMigrations`) in its migration list.
 */
@Global()
@Module({
  imports: [DiscoveryModule, TypeOrmModule.forFeature([SagaInstanceEntity, SagaHistoryEntity])],
  providers: coreProviders,
  exports: [SagaOrchestrator, SagaRegistry, SagaClock, SagaTimeoutJob, RESOLVED_SAGA_OPTIONS],
})
export class SagaModule extends ConfigurableSagaModule {

  static override forRoot(options: typeof SAGA_OPTIONS_TYPE = {}): DynamicModule {
    return SagaModule.withApi(super.forRoot(options), options.inspectionApi);
  }

  static override forRootAsync(options: typeof SAGA_ASYNC_OPTIONS_TYPE): DynamicModule {
    return SagaModule.withApi(super.forRootAsync(options), options.inspectionApi);
  }

  /** Registers a feature's saga definitions. */
  static forFeature(definitions: SagaDefinition<unknown>[]): DynamicModule {
    const token = Symbol('SAGA_FEATURE');
    return {
      module: SagaFeatureModule,
      providers: [
        {
          provide: token,
          useFactory: (registry: SagaRegistry) => {
            for (const d of definitions) registry.register(d);
            return definitions;
          },
          inject: [SagaRegistry],
        },
      ],
    };
  }

  private static withApi(module: DynamicModule, api: boolean | undefined): DynamicModule {
    return { ...module, global: true, controllers: api === false ? [] : [SagasController, SagaOperatorController] };
  }
}

@Module({})
class SagaFeatureModule {}
