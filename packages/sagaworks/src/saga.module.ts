import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ChoreographyDefinition } from './definition/choreography-definition.js';
import type { SagaDefinition } from './definition/saga-definition.js';
import { TokenFailureLimiter } from './inspector/api/token-failure-limiter.js';
import { SagaHistoryEntity } from './persistence/saga-history.entity.js';
import { SagaInstanceEntity } from './persistence/saga-instance.entity.js';
import { SagaSchemaCheck } from './persistence/saga-schema-check.js';
import { SagaStore } from './persistence/saga-store.js';
import { sqlRunnerFor } from './persistence/pool-sql-runner.js';
import { RESOLVED_SAGA_OPTIONS, resolveSagaOptions } from './runtime/resolve-options.js';
import { ChoreographyTracker } from './runtime/choreography-tracker.js';
import { SagaClock } from './runtime/saga-clock.js';
import { SagaContractCheck } from './runtime/saga-contract-check.js';
import { SagaOrchestrator } from './runtime/saga-orchestrator.js';
import { SagaRegistry } from './runtime/saga-registry.js';
import { SagaReplyStream } from './runtime/saga-reply-stream.js';
import { SagaSignals } from './runtime/saga-signals.js';
import { childSagaProviders } from './runtime/child-sagas.js';
import { SagaTimeoutJob } from './runtime/saga-timeout.job.js';
import { SagaMessagingModule } from './transport/saga-messaging.module.js';
import type { ResolvedSagaModuleOptions, SagaModuleOptions } from './saga-module-options.interface.js';
import { ConfigurableSagaModule, SAGA_ASYNC_OPTIONS_TYPE, SAGA_MODULE_OPTIONS, SAGA_OPTIONS_TYPE } from './saga.module-definition.js';

const coreProviders: Provider[] = [
  { provide: RESOLVED_SAGA_OPTIONS, useFactory: (o: SagaModuleOptions) => resolveSagaOptions(o), inject: [SAGA_MODULE_OPTIONS] },
  {
    provide: SagaStore,
    useFactory: (options: ResolvedSagaModuleOptions, moduleRef: ModuleRef) =>
      new SagaStore(() => sqlRunnerFor(moduleRef.get<DataSource>(getDataSourceToken(options.connectionName), { strict: false }))),
    inject: [RESOLVED_SAGA_OPTIONS, ModuleRef],
  },
  {
    provide: SagaSchemaCheck,
    useFactory: (options: ResolvedSagaModuleOptions, moduleRef: ModuleRef) =>
      new SagaSchemaCheck(() => moduleRef.get<DataSource>(getDataSourceToken(options.connectionName), { strict: false })),
    inject: [RESOLVED_SAGA_OPTIONS, ModuleRef],
  },
  SagaRegistry,
  SagaClock,
  SagaOrchestrator,
  SagaTimeoutJob,
  SagaContractCheck,
  SagaReplyStream,
  SagaSignals,
  ChoreographyTracker,
  ...childSagaProviders,
  // One per app, shared by every token guard (the inspector's and a host's own ReadTokenGuard).
  { provide: TokenFailureLimiter, useFactory: () => new TokenFailureLimiter() },
];

/**
 * Durable sagas for a Nest app. Import once with `forRoot`/`forRootAsync` (global), and register each feature's
 * definitions with `forFeature`. Needs `CqrsModule.forRoot()`, `ScheduleModule.forRoot()` and a TypeORM
 * connection in the host app, and the saga migrations (`sagaMigrations`) in its migration list.
 */
@Global()
@Module({
  imports: [SagaMessagingModule, DiscoveryModule, TypeOrmModule.forFeature([SagaInstanceEntity, SagaHistoryEntity])],
  providers: coreProviders,
  exports: [
    SagaMessagingModule,
    SagaOrchestrator,
    SagaRegistry,
    SagaClock,
    SagaTimeoutJob,
    SagaSignals,
    ChoreographyTracker,
    RESOLVED_SAGA_OPTIONS,
    TokenFailureLimiter,
  ],
})
export class SagaModule extends ConfigurableSagaModule {
  static override forRoot(options: typeof SAGA_OPTIONS_TYPE = {}): DynamicModule {
    return { ...super.forRoot(options), global: true };
  }

  static override forRootAsync(options: typeof SAGA_ASYNC_OPTIONS_TYPE): DynamicModule {
    return { ...super.forRootAsync(options), global: true };
  }

  /** Registers a feature's saga definitions, and its choreographed flows (`defineChoreography`). */
  static forFeature(definitions: SagaDefinition<unknown>[], feature: { choreographies?: ChoreographyDefinition[] } = {}): DynamicModule {
    const flows = feature.choreographies ?? [];
    // Named after its sagas: an app that asks Nest for `deep-hash` module ids merges dynamic modules whose
    // metadata serialise alike, and would keep only the first feature's definitions.
    const token = Symbol(`SAGA_FEATURE:${[...definitions, ...flows].map((d) => d.type).join(',')}`);
    return {
      module: SagaFeatureModule,
      providers: [
        {
          provide: token,
          useFactory: (registry: SagaRegistry) => {
            for (const d of definitions) registry.register(d);
            for (const f of flows) registry.registerChoreography(f);
            return definitions;
          },
          inject: [SagaRegistry],
        },
      ],
    };
  }
}

@Module({})
class SagaFeatureModule {}
