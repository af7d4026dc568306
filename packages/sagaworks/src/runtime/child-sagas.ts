import { CommandHandler, EventBus, EventsHandler, type ICommand, type ICommandHandler, type IEventHandler } from '@nestjs/cqrs';
import { Logger } from '@nestjs/common';
import type { SagaContext, SagaDefinition, SagaStepDefinition } from '../definition/saga-definition.js';
import { send } from '../definition/saga-definition.js';
import { isTerminal, SagaStatus } from '../domain/saga-status.js';
import type { SagaState } from '../domain/saga-state.js';
import { SagaEndedEvent } from './saga-ended.event.js';
import { SagaOrchestrator } from './saga-orchestrator.js';

/** A child saga's business key: it names its parent and the parent's step, so its end can be told to them. */
export function childCorrelationId(parentId: string, step: string): string {
  return `child:${parentId}:${step}`;
}

function parentOf(correlationId: string): { parentId: string; step: string } | null {
  const match = /^child:([0-9a-f-]{36}):(.+)$/.exec(correlationId);
  return match ? { parentId: match[1], step: match[2] } : null;
}

/** Starts (or, sent again, looks up) the child saga of a parent's step. */
export class StartChildSagaCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
    public readonly childType: string,
    public readonly data: unknown,
  ) {}
}

/** Undoes the child saga of a parent's step: a completed one is compensated as a whole, a running one aborted. */
export class CompensateChildSagaCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
    public readonly childType: string,
    public readonly reason: string,
  ) {}
}

/** The child of `step` completed. `sagaId` is the parent's. */
export class ChildSagaCompletedEvent {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
    public readonly childId: string,
  ) {}
}

/** The child of `step` was undone (it failed and compensated, or was compensated for its parent). */
export class ChildSagaUndoneEvent {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
    public readonly childId: string,
    public readonly reason: string,
  ) {}
}

/** The child of `step` ended FAILED: its own compensation is stuck, for an operator. */
export class ChildSagaFailedEvent {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
    public readonly childId: string,
    public readonly reason: string,
  ) {}
}

export interface ChildStepOptions<TData, TChild> {
  /** The child's definition (registered with `SagaModule.forFeature` too). */
  saga: SagaDefinition<TChild>;
  /** The child's data, from the parent's context. */
  data: (ctx: SagaContext<TData>) => TChild;
  /**
   * How long the child may run per attempt before the parent asks again (default 1 h). When the attempts run
   * out, the parent step fails and the child is cancelled.
   */
  timeoutMs?: number;
}

/**
 * A step that runs a child saga of another definition and completes when the child completes; a child that
 * fails (and compensates itself) fails the step. Compensating the parent compensates a completed child; a
 * parent cancelled while the child runs cancels it. The child's correlation id is `child:<parentId>:<step>`.
 */
export function childSagaStep<TData, TChild>(name: string, options: ChildStepOptions<TData, TChild>): SagaStepDefinition<TData> {
  const type = options.saga.type;
  return {
    name,
    command: send(StartChildSagaCommand, (c: SagaContext<TData>) => [c.sagaId, name, type, options.data(c)]),
    completedBy: [ChildSagaCompletedEvent],
    failedBy: [ChildSagaUndoneEvent, ChildSagaFailedEvent],
    compensation: send(CompensateChildSagaCommand, (c: SagaContext<TData>) => [
      c.sagaId,
      name,
      type,
      c.failureReason ?? 'parent compensated',
    ]),
    compensatedBy: [ChildSagaUndoneEvent],
    timeoutMs: options.timeoutMs ?? 3_600_000,
    childSaga: type,
  };
}

/** What a child's end means to its parent, as the parent's reply. */
function outcomeEvent(child: Pick<SagaState, 'id' | 'status' | 'failureReason'>, parentId: string, step: string): object | null {
  if (child.status === SagaStatus.COMPLETED) return new ChildSagaCompletedEvent(parentId, step, child.id);
  if (child.status === SagaStatus.COMPENSATED)
    return new ChildSagaUndoneEvent(parentId, step, child.id, child.failureReason ?? 'child compensated');
  if (child.status === SagaStatus.FAILED) return new ChildSagaFailedEvent(parentId, step, child.id, child.failureReason ?? 'child failed');
  return null;
}

@CommandHandler(StartChildSagaCommand)
export class StartChildSagaHandler implements ICommandHandler<StartChildSagaCommand> {
  constructor(
    private readonly sagas: SagaOrchestrator,
    private readonly events: EventBus,
  ) {}

  /** Idempotent: sent again (its deadline, a redelivery) it finds the child, and repeats its outcome if it ended. */
  async execute(c: StartChildSagaCommand): Promise<void> {
    const child = await this.sagas.start(c.childType, { correlationId: childCorrelationId(c.sagaId, c.step), data: c.data });
    const outcome = isTerminal(child.status) ? outcomeEvent(child, c.sagaId, c.step) : null;
    if (outcome) this.events.publish(outcome);
  }
}

@CommandHandler(CompensateChildSagaCommand)
export class CompensateChildSagaHandler implements ICommandHandler<CompensateChildSagaCommand> {
  private readonly logger = new Logger('Saga');
  constructor(
    private readonly sagas: SagaOrchestrator,
    private readonly events: EventBus,
  ) {}

  async execute(c: CompensateChildSagaCommand): Promise<void> {
    const child = await this.sagas.store.findByCorrelation(c.childType, childCorrelationId(c.sagaId, c.step));
    // Never started (the parent was cancelled before its start went out): nothing to undo.
    if (!child || child.status === SagaStatus.COMPENSATED) {
      this.events.publish(
        new ChildSagaUndoneEvent(c.sagaId, c.step, child?.id ?? '', child ? (child.failureReason ?? '') : 'child never started'),
      );
      return;
    }
    const reason = `parent ${c.sagaId} compensates: ${c.reason}`;
    const result =
      child.status === SagaStatus.COMPLETED
        ? await this.sagas.undoCompleted(child.id, reason)
        : await this.sagas.abort(child.id, 'parent saga', reason);
    // Already undoing (a redelivery): its end is told to the parent when it comes.
    if (!result.ok) this.logger.debug(`child ${child.id}: ${result.message}`);
  }
}

/** Tells a parent when its child saga ends. */
@EventsHandler(SagaEndedEvent)
export class ChildSagaEndedHandler implements IEventHandler<SagaEndedEvent> {
  constructor(private readonly events: EventBus) {}

  handle(e: SagaEndedEvent): void {
    const parent = parentOf(e.correlationId);
    if (!parent) return;
    const outcome = outcomeEvent({ id: e.sagaId, status: e.status, failureReason: e.failureReason }, parent.parentId, parent.step);
    if (outcome) this.events.publish(outcome);
  }
}

export const childSagaProviders = [StartChildSagaHandler, CompensateChildSagaHandler, ChildSagaEndedHandler];
