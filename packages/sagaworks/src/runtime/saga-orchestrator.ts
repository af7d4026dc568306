import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { EventBus, type ICommand, type IEvent } from '@nestjs/cqrs';
import { Subject, type Observable, type OperatorFunction } from 'rxjs';
import type { SagaDefinition, SagaReply, ReplyType } from '../definition/saga-definition.js';
import type { SagaState, Transition } from '../domain/saga-state.js';
import { isTerminal } from '../domain/saga-status.js';
import { SagaStore, type CompanionWrite, type Lease } from '../persistence/saga-store.js';
import type { ResolvedSagaModuleOptions } from '../saga-module-options.interface.js';
import { SagaCommandDispatcher } from '../transport/saga-command-dispatcher.js';
import { SagaHooks } from '../transport/saga-hooks.js';
import { RESOLVED_SAGA_OPTIONS } from './resolve-options.js';
import { SagaClock } from './saga-clock.js';
import { SagaCommandErrors } from './saga-command-errors.js';
import { SagaCommandFactory } from './saga-commands.js';
import { SagaEndWaiters } from './saga-end-waiters.js';
import { SagaEndedEvent } from './saga-ended.event.js';
import { SagaFlows } from './saga-flows.js';
import { SagaOperatorActions } from './saga-operator-actions.js';
import type {
  AbortPlan,
  Decide,
  OperatorActionResult,
  StartSagaInput,
  StartSagaOptions,
  StoredTransition,
} from './saga-orchestrator.types.js';
import { SagaRegistry, type RegisteredSaga } from './saga-registry.js';
import { SagaReplyOperators } from './saga-reply-operators.js';
import { alignToDefinition, dueDecision, replyDecision } from './saga-reply-rules.js';
import type { SignalResult, SignalTarget } from './saga-signal.js';
import { SagaStarter } from './saga-starter.js';
import { SagaStateCache } from './saga-state-cache.js';

export type { AbortPlan, OperatorActionResult, StartSagaInput, StartSagaOptions, StoredTransition } from './saga-orchestrator.types.js';

const MAX_CONFLICT_RETRIES = 8;

/** How often `waitForEnd` reads the rows of the sagas waited on, for ends stored by another instance. */
const END_POLL_MS = 500;

/**
 * Runs sagas: starts them, applies replies and deadlines as conditional transitions, and produces the commands
 * to dispatch. Every state change is stored before its commands leave, so a crash at any point leaves a row
 * that says what to do next.
 */
@Injectable()
export class SagaOrchestrator implements OnModuleDestroy {
  private readonly logger = new Logger('Saga');
  private readonly cache = new SagaStateCache();
  private readonly endWaiters: SagaEndWaiters;
  private readonly transitionsSubject = new Subject<StoredTransition>();
  private readonly commands = new SagaCommandFactory();
  private readonly operators: SagaOperatorActions;
  private readonly streams: SagaReplyOperators;
  private readonly errors: SagaCommandErrors;
  private readonly starter: SagaStarter;
  private readonly flows: SagaFlows;
  private destroyed = false;
  /** Sagas this instance last stored or claimed under its own lease (some may since have been taken over). */
  private readonly leased = new Set<string>();
  private working = 0;
  readonly store: SagaStore;
  /** Every stored transition, after it is stored (and before its commands are dispatched). */
  readonly transitions$: Observable<StoredTransition> = this.transitionsSubject.asObservable();

  constructor(
    store: SagaStore,
    private readonly registry: SagaRegistry,
    private readonly clock: SagaClock,
    private readonly dispatcher: SagaCommandDispatcher,
    private readonly hooks: SagaHooks,
    private readonly eventBus: EventBus,
    @Inject(RESOLVED_SAGA_OPTIONS) private readonly options: ResolvedSagaModuleOptions,
  ) {
    this.store = store;
    this.endWaiters = new SagaEndWaiters((ids) => store.loadEnded(ids), END_POLL_MS);
    // The parts share the runtime's core: its store, its clock, and its one way to change a saga (`transition`).
    const core = {
      store,
      registry,
      clock,
      logger: this.logger,
      isTransient: (error: unknown) => options.isTransientError(error),
      transition: <TData>(saga: RegisteredSaga<TData>, sagaId: string, decide: Decide<TData>) => this.transition(saga, sagaId, decide),
      dispatch: (commands: ICommand[]) => this.dispatch(commands),
    };
    this.operators = new SagaOperatorActions({
      ...core,
      onDefinitionChange: options.onDefinitionChange,
      forget: (id) => this.cache.delete(id),
    });
    this.starter = new SagaStarter({
      ...core,
      lease: (now) => this.lease(now),
      started: (saga, t, now, go) => this.started(saga, t, now, go),
    });
    this.flows = new SagaFlows({ ...core, lease: (now) => this.lease(now), started: (saga, t, now) => this.started(saga, t, now, false) });
    this.errors = new SagaCommandErrors({
      ...core,
      commands: this.commands,
      load: async (id) => this.cache.get(id) ?? (await store.load(id)),
    });
    this.streams = new SagaReplyOperators({
      ...core,
      stopped: () => this.destroyed,
      onReply: (definition, event) => this.onReply(definition, event),
      dispatchCurrent: (sagaId) => this.dispatchCurrent(sagaId),
      hooks,
    });
    // A step's handler error reaches its saga from the dispatcher, whichever transport carried the command.
    dispatcher.onFailure((command, error) => void this.onCommandError(command, error));
  }

  onModuleDestroy(): void {
    this.destroyed = true;
    this.errors.stop();
    this.endWaiters.stop();
  }

  /** A command of a saga's current action threw: recorded on the saga (see `SagaCommandErrors`). */
  onCommandError(command: ICommand, error: unknown): Promise<void> {
    return this.tracked(() => this.errors.record(command, error));
  }

  /** Commands sent again from memory because the database could not record their failure, since start. */
  get redeliveriesFromMemory(): number {
    return this.errors.redeliveriesFromMemory;
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /**
   * Pieces of saga work begun here and not finished (replies, errors, transitions, kick-offs). Zero: nothing here
   * is about to dispatch or store (the testing kit waits for it before moving the clock).
   */
  get inProgress(): number {
    return this.working;
  }

  /**
   * Starts an instance of `definition`. Idempotent by (type, correlation id): starting again returns the
   * existing instance and dispatches nothing.
   */
  async start<TData>(
    definition: SagaDefinition<TData> | string,
    input: StartSagaInput<TData>,
    options: StartSagaOptions = {},
  ): Promise<SagaState<TData>> {
    return this.starter.start(definition, input, options);
  }

  /**
   * Starts an instance of `definition` together with a write of the caller's, in ONE statement: the saga row is
   * the caller's outbox without a transaction around them (one round trip and one commit instead of five
   * statements). `companion` is a data-modifying statement with RETURNING, parameters from $1, kept as a
   * constant text (it becomes part of a prepared statement). The saga is stored only if the companion returned a
   * row; if the saga cannot be stored (its correlation id is taken), the statement fails and the companion's
   * write is undone with it.
   *
   * Resolves with the companion's rows and the started saga (`null` when the companion wrote nothing). The first
   * command is dispatched unless `dispatch` is false (for a caller whose own event kicks the saga off).
   */
  async startWith<TData, R = Record<string, unknown>>(
    definition: SagaDefinition<TData> | string,
    input: StartSagaInput<TData>,
    companion: CompanionWrite,
    options: { dispatch?: boolean } = {},
  ): Promise<{ saga: SagaState<TData> | null; rows: R[] }> {
    return this.starter.startWith<TData, R>(definition, input, companion, options.dispatch !== false);
  }

  /** Records an event of a choreographed flow on its instance, created at the first event seen (`ChoreographyTracker`). */
  recordFlowEvent(event: IEvent): Promise<void> {
    return this.tracked(() => this.flows.record(event));
  }

  /** Starts a flow's instance from its first event in one statement with a write of the caller's (as `startWith`). */
  startFlowWith<R = Record<string, unknown>>(event: IEvent, companion: CompanionWrite): Promise<R[]> {
    return this.tracked(() => this.flows.startWith<R>(event, companion));
  }

  /**
   * Resolves with the saga's final state once it ends, or with `null` after `timeoutMs`. An end stored here is
   * seen at once; ends stored by other instances are read for every waited saga together, every half second.
   */
  waitForEnd(sagaId: string, timeoutMs: number): Promise<SagaState | null> {
    return this.endWaiters.wait(sagaId, timeoutMs);
  }

  /** The commands of a saga's current action, if it is waiting on one (used once the start has committed). */
  dispatchCurrent(sagaId: string): Promise<ICommand[]> {
    return this.tracked(() => this.currentCommands(sagaId));
  }

  private async currentCommands(sagaId: string): Promise<ICommand[]> {
    const state = this.cache.get(sagaId) ?? (await this.store.load(sagaId));
    const saga = state && !isTerminal(state.status) ? this.registry.get(state.type) : undefined;
    if (!state || !saga) return [];
    return this.commands.build(saga, { state, history: [], actions: this.commands.currentActions(state) });
  }

  /** Applies a reply event to its saga (see `replyDecision`); returns the commands that follow, if any. */
  async onReply(definition: SagaDefinition<unknown>, event: SagaReply): Promise<ICommand[]> {
    const saga = this.registry.require(definition.type);
    const candidates = saga.replies.get(event.constructor as ReplyType);
    if (!candidates?.length) return [];
    return this.transition(saga, event.sagaId, replyDecision(saga, candidates, event));
  }

  /**
   * Sends the signal `name` to a saga, by id or by (type, correlation id), and says what became of it: a late,
   * duplicate or unknown signal changes nothing but the history (an HTTP caller answers 409).
   */
  signal(target: SignalTarget, name: string, payload?: unknown): Promise<SignalResult> {
    return this.tracked(() => this.operators.signal(target, name, payload));
  }

  /** Fails `stepName` as if its failure reply had arrived (adapters, the testing kit); a no-op unless it runs. */
  reportStepFailure(sagaId: string, stepName: string, reason: string): Promise<ICommand[]> {
    return this.tracked(() => this.operators.failStep(sagaId, stepName, reason, this.cache.get(sagaId)));
  }

  /**
   * Operator for a `@Saga()` stream: maps the replies of `definition`'s steps to the commands that follow. Each
   * event is handled in isolation, so one failure never ends the stream; the saga stays resumable.
   */
  replies(definition: SagaDefinition<unknown>): OperatorFunction<IEvent, ICommand> {
    return this.streams.replies(definition);
  }

  /** The library's own reply stream (`SagaReplyStream`): every definition whose app does not stream it itself. */
  allReplies(): OperatorFunction<IEvent, ICommand> {
    return this.streams.allReplies();
  }

  /** Operator for a `@Saga()` stream: once a saga started in a transaction has committed, dispatch its first step. */
  kickoff<E extends IEvent>(sagaIdOf: (event: E) => string): OperatorFunction<E, ICommand> {
    return this.streams.kickoff(sagaIdOf);
  }

  /** Claims due sagas and handles them (see `dueDecision`); `outageSince`: when the job last reached the database. */
  async handleDue(outageSince?: Date): Promise<number> {
    const now = this.clock.now();
    const claimed = await this.store.claimDue(now, this.options.jobBatchSize, this.lease(now));
    await Promise.all(
      claimed.map(async (state) => {
        this.remember(state);
        const saga = this.registry.get(state.type);
        if (!saga) return this.logger.warn(`saga ${state.id} has unknown type "${state.type}"; left for an instance that knows it`);
        try {
          const excuse = (dueAt: Date) => this.dispatcher.excuseForDeadline(state.id, dueAt);
          this.dispatch(await this.transition(saga, state.id, dueDecision(saga, state.leaseLapsed, this.instanceId, outageSince, excuse)));
        } catch (error) {
          this.logger.error(`saga ${state.id}: timeout handling failed: ${(error as Error).message}`);
        }
      }),
    );
    return claimed.length;
  }

  /** Re-measures this host's clock against the database's, which deadlines and leases are read by. */
  anchorClock(): Promise<void> {
    return this.clock.anchorTo(() => this.store.databaseNow());
  }

  /** Keeps this instance's leases alive so healthy work is not resumed elsewhere. */
  async renewLeases(): Promise<void> {
    // Nothing of this instance's is in flight (parked and ended sagas hold no lease): no statement at all, so a
    // pass over any number of parked sagas costs only its claim.
    if (this.leased.size === 0) return;
    const now = this.clock.now();
    await this.store.renewLeases(this.lease(now), new Date(now.getTime() + this.options.leaseMs / 2));
  }

  /** Sends commands through the dispatcher; a saga command's handler error is recorded on its saga. */
  dispatch(commands: ICommand[]): void {
    if (commands.length) this.dispatcher.send(commands);
  }

  /** Once a new instance is stored: cache it, report it, and dispatch its first command when that is safe. */
  private started<TData>(saga: RegisteredSaga<TData>, t: Transition<TData>, now: Date, dispatch: boolean): void {
    this.remember(t.state);
    this.stored({ before: null, after: t.state, history: t.history, at: now });
    if (dispatch) this.dispatch(this.commandsFor(saga, t));
  }

  /**
   * Computes a transition from the freshest state this instance has and stores it conditionally. On a version
   * conflict, or when a cached state says the input does not apply, reload and decide again.
   */
  private transition<TData>(saga: RegisteredSaga<TData>, sagaId: string, decide: Decide<TData>): Promise<ICommand[]> {
    return this.tracked(() => this.decideAndStore(saga, sagaId, decide));
  }

  private async decideAndStore<TData>(saga: RegisteredSaga<TData>, sagaId: string, decide: Decide<TData>): Promise<ICommand[]> {
    let state = this.cache.get(sagaId) as SagaState<TData> | undefined;
    let fresh = false;
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      if (!state) {
        state = ((await this.store.load(sagaId)) as SagaState<TData> | null) ?? undefined;
        fresh = true;
        if (!state) return [];
      }
      // Definitions may share reply event classes: each stream sees the reply, only the saga's own type acts.
      if (state.type !== saga.definition.type) return [];
      const aligned = alignToDefinition(saga, state, this.options.onDefinitionChange);
      if (!aligned) {
        this.logger.warn(`saga ${state.id} started under another version of "${state.type}"; held for an operator`);
        return [];
      }
      state = aligned;
      const now = this.clock.now();
      const t = decide(state, now);
      if (!t) {
        if (fresh) return [];
        state = undefined;
        continue;
      }
      const before = state;
      if (await this.store.update(t, this.lease(now))) {
        this.remember(t.state);
        this.stored({ before, after: t.state, history: t.history, at: now });
        if (isTerminal(t.state.status)) {
          this.eventBus.publish(new SagaEndedEvent(t.state.id, t.state.type, t.state.correlationId, t.state.status, t.state.failureReason));
          this.endWaiters.ended(t.state);
        }
        return this.commandsFor(saga, t);
      }
      state = undefined;
    }
    throw new Error(`saga ${sagaId}: gave up after ${MAX_CONFLICT_RETRIES} concurrent updates`);
  }

  /** Operator retry: a `FAILED` saga resumes its stuck compensation; a held one is adopted by the current definition. */
  retry(sagaId: string, actor: string, reason?: string): Promise<OperatorActionResult> {
    return this.operators.retry(sagaId, actor, reason);
  }

  /** Operator abort: stop forward progress now and compensate what was done, in reverse. */
  abort(sagaId: string, actor: string, reason?: string): Promise<OperatorActionResult> {
    return this.operators.abort(sagaId, actor, reason);
  }

  /** Undoes a COMPLETED saga as a whole (its parent is compensated): every step that can be, in reverse. */
  undoCompleted(sagaId: string, reason: string): Promise<OperatorActionResult> {
    return this.operators.undoCompleted(sagaId, reason);
  }

  /** What `abort` would compensate now, in order, without changing anything. */
  planAbort(sagaId: string): Promise<AbortPlan | null> {
    return this.operators.planAbort(sagaId);
  }

  /** Operator skip: a compensation that cannot succeed is marked done by hand, with a mandatory reason. */
  skipCompensation(sagaId: string, stepName: string, actor: string, reason: string): Promise<OperatorActionResult> {
    return this.operators.skipCompensation(sagaId, stepName, actor, reason);
  }

  /** Lets an instance held after a definition change go on under the current definition. */
  adoptCurrentDefinition(sagaId: string): Promise<boolean> {
    return this.operators.adoptCurrentDefinition(sagaId);
  }

  /** Logs in-flight instances whose definition changed and, under `hold`, takes them out of the job's sight. */
  reportDefinitionChanges(): Promise<{ type: string; definitionHash: string; count: number }[]> {
    return this.operators.reportDefinitionChanges();
  }

  private commandsFor<TData>(saga: RegisteredSaga<TData>, t: Transition<TData>): ICommand[] {
    return this.commands.build(saga, t);
  }

  /** Counts `work` in `inProgress` from the moment it is called (synchronously) until it settles. */
  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    this.working++;
    try {
      return await work();
    } finally {
      this.working--;
    }
  }

  private stored(transition: StoredTransition): void {
    this.transitionsSubject.next(transition);
    this.hooks.transitioned(transition);
  }

  private remember(state: SagaState): void {
    if (isTerminal(state.status)) this.cache.delete(state.id);
    else this.cache.set(state);
    if (state.leaseOwner === this.options.instanceId && !isTerminal(state.status)) this.leased.add(state.id);
    else this.leased.delete(state.id);
  }

  private lease(now: Date): Lease {
    return { owner: this.options.instanceId, until: new Date(now.getTime() + this.options.leaseMs) };
  }
}
