/**
 * The core of `sagaworks`: the module, saga definitions, the orchestrator and its store. The test kit lives in
 * `sagaworks/testing`, the read API and `/ui` in `sagaworks/inspector`, the embedded database in `sagaworks/pglite`.
 */
export { SagaModule } from './saga.module.js';
export type { SagaModuleOptions } from './saga-module-options.interface.js';
export { SagaStore } from './persistence/saga-store.js';
export type { SagaHistoryRow, CompanionWrite, Lease, SqlRunner } from './persistence/saga-store.js';
export { PoolSqlRunner, sqlRunnerFor } from './persistence/pool-sql-runner.js';
export type { SagaListCursor, SagaListFilter, SagaListPage, SagaSummary } from './persistence/saga-list-query.js';
export { defineSaga, send } from './definition/saga-definition.js';
export type {
  CommandSpec,
  CommandType,
  SagaDefinition,
  SagaStepDefinition,
  SagaContext,
  SagaReply,
  SagaFailureReply,
  ReplyType,
  SagaWaitDefinition,
  SignalDecision,
} from './definition/saga-definition.js';
export type { RetryPolicy } from './definition/retry-policy.js';
export { defineChoreography, correlate, FlowStalledEvent } from './definition/choreography-definition.js';
export type {
  ChoreographyDefinition,
  FlowStepDefinition,
  FlowCorrelation,
  FlowEventType,
  FlowExpectation,
} from './definition/choreography-definition.js';
export { ChoreographyTracker } from './runtime/choreography-tracker.js';
export { onFlowStalled } from './runtime/flow-stall-receiver.js';
export type { FlowStallHandlers } from './runtime/flow-stall-receiver.js';
export { SagaStatus, StepStatus, isTerminal } from './domain/saga-status.js';
export type { SagaState, StepState } from './domain/saga-state.js';
export { SagaOrchestrator } from './runtime/saga-orchestrator.js';
export type { StartSagaInput, StartSagaOptions, StoredTransition, OperatorActionResult, AbortPlan } from './runtime/saga-orchestrator.js';
export { SagaHooks } from './transport/saga-hooks.js';
export type { SagaHook, Next } from './transport/saga-hooks.js';
export { SagaCommandDispatcher } from './transport/saga-command-dispatcher.js';
export type { CommandFailureListener } from './transport/saga-command-dispatcher.js';
export type { SagaTransport } from './transport/saga-transport.js';
export { SagaMessagingModule } from './transport/saga-messaging.module.js';
export { SagaOutbox, outboxPutSql } from './transport/outbox/saga-outbox.js';
export type { OutboxPut, OutboxRelay, OutboxRow, Produced } from './transport/outbox/saga-outbox.js';
export { SagaEventReceivers } from './transport/saga-event-receivers.js';
export { OutboxPoller } from './transport/outbox/outbox-poller.js';
export type { OutboxPollerOptions } from './transport/outbox/outbox-poller.js';
export { messagingMigrations } from './transport/outbox/1767000000000-create-messaging-tables.js';
export { MessageCodec, UndecodableMessageError } from './transport/message-codec.js';
export type { MessageClass } from './transport/message-codec.js';
export { handlingMessage, currentMessage } from './transport/message-context.js';
export type { IncomingMessage } from './transport/message-context.js';
export { TransportUnavailableError, RemoteCommandError } from './transport/transport-errors.js';
export { SagaTimeoutJob } from './runtime/saga-timeout.job.js';
export type { TimeoutJobPass } from './runtime/saga-timeout.job.js';
export { SagaSignals } from './runtime/saga-signals.js';
export {
  childSagaStep,
  childCorrelationId,
  ChildSagaCompletedEvent,
  ChildSagaUndoneEvent,
  ChildSagaFailedEvent,
  StartChildSagaCommand,
  CompensateChildSagaCommand,
} from './runtime/child-sagas.js';
export type { ChildStepOptions } from './runtime/child-sagas.js';
export { signalAccepted } from './runtime/saga-signal.js';
export type { SignalResult, SignalTarget } from './runtime/saga-signal.js';
export type { SignalOutcome } from './domain/saga-wait-transitions.js';
export { isParked } from './domain/saga-parking.js';
export { SagaClock } from './runtime/saga-clock.js';
export { SagaRegistry } from './runtime/saga-registry.js';
export { SagaEndedEvent } from './runtime/saga-ended.event.js';
export { SagaInstanceEntity } from './persistence/saga-instance.entity.js';
export { SagaHistoryEntity } from './persistence/saga-history.entity.js';
export { PreparedStatementClient, prepared, PREPARED_MARK } from './persistence/prepared-statement.js';
export { ResilientPgClient } from './persistence/resilient-pg-client.js';
export { sagaMigrations } from './persistence/migrations/index.js';
export { SagaSchemaError, missingSagaSchema } from './persistence/saga-schema-check.js';
export { runMigrationsExclusively, MIGRATION_LOCK_KEY } from './persistence/run-migrations-exclusively.js';
export { SagaDefinitionError, checkDefinition } from './runtime/saga-contract-check.js';
export { isTransientInfrastructureError, classifiedReason, infrastructureCodeOf } from './runtime/infrastructure-error.js';
export { renderSagaDiagram } from './definition/saga-diagram.js';
