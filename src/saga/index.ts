/**
 * Public API of the saga module. Host apps import from here only.
 */
export { SagaModule } from './saga.module';
export type { SagaModuleOptions } from './saga-module-options.interface';
export type { SagaModuleExtras } from './saga.module-definition';
export type { SagaStore, SagaHistoryRow, SagaListFilter, CompanionWrite } from './persistence/saga-store';
export { defineSaga, send } from './definition/saga-definition';
export type { CommandSpec, CommandType, SagaDefinition, SagaStepDefinition, SagaContext, SagaReply, SagaFailureReply, ReplyType } from './definition/saga-definition';
export type { RetryPolicy } from './definition/retry-policy';
export { SagaStatus, StepStatus, isTerminal } from './domain/saga-status';
export type { SagaState, StepState } from './domain/saga-state';
export { SagaOrchestrator } from './runtime/saga-orchestrator';
export type { StartSagaInput, StartSagaOptions, StoredTransition, OperatorActionResult, AbortPlan } from './runtime/saga-orchestrator';
export { SagaTimeoutJob } from './runtime/saga-timeout.job';
export { SagaClock } from './runtime/saga-clock';
export { SagaRegistry } from './runtime/saga-registry';
export { SagaEndedEvent } from './runtime/saga-ended.event';
export { SagaInstanceEntity } from './persistence/saga-instance.entity';
export { SagaHistoryEntity } from './persistence/saga-history.entity';
export { PreparedStatementClient, prepared, PREPARED_MARK } from './persistence/prepared-statement';
export { sagaMigrations } from './persistence/migrations';
export { runMigrationsExclusively, MIGRATION_LOCK_KEY } from './persistence/run-migrations-exclusively';
export type { SagaView } from './api/saga.view';
export { SagaDefinitionError, checkDefinition } from './runtime/saga-contract-check';
export { renderSagaDiagram } from './definition/saga-diagram';
export { SagaTestKit, type ExploreOptions, type ExploreOutcome, type ExploreReport } from './testing/saga-test-kit';
