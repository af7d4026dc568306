import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CommandBus, EventBus, type ICommand, type IEvent, UnhandledExceptionBus } from '@nestjs/cqrs';
import { catchError, defer, EMPTY, Subject, type Subscription, filter, from, mergeMap, type Observable, type OperatorFunction } from 'rxjs';
import type { EntityManager } from 'typeorm';
import type { SagaDefinition, SagaReply, SagaFailureReply, ReplyType, SagaStepDefinition } from '../definition/saga-definition.js';
import { infrastructureBackoffMs, isRetryable } from '../definition/retry-policy.js';
import { classifiedReason } from './infrastructure-error.js';
import { waitOutInfrastructure } from './wait-out-infrastructure.js';
import type { SignalResult, SignalTarget } from './saga-signal.js';
import type { SagaAction, SagaState, Transition } from '../domain/saga-state.js';
import { initialStepState } from '../domain/saga-parallel-transitions.js';
import { isTerminal } from '../domain/saga-status.js';
import { SagaStore, type CompanionWrite, type Lease } from '../persistence/saga-store.js';
import type { ResolvedSagaModuleOptions } from '../saga-module-options.interface.js';
import { RESOLVED_SAGA_OPTIONS } from './resolve-options.js';
import { SagaClock } from './saga-clock.js';
import { SagaEndWaiters } from './saga-end-waiters.js';
import { SagaEndedEvent } from './saga-ended.event.js';
import { SagaRegistry, type RegisteredSaga } from './saga-registry.js';
import { SagaStateCache } from './saga-state-cache.js';

/** A transition that was stored, as `transitions$` reports it (metrics, logs). */
export interface StoredTransition {
  before: SagaState | null;
  after: SagaState;
  history: Transition['history'];
  at: Date;
}

/** Outcome of an operator action. */
export type OperatorActionResult = { ok: true; saga: SagaState } | { ok: false; reason: 'not-found' | 'not-applicable'; message: string };

/** What an abort would do, without doing it. */
export interface AbortPlan {
  sagaId: string;
  status: string;
  compensations: { step: string; command: string }[];
}

/** What starts a saga instance. */
export interface StartSagaInput<TData> {
  /** Instance id; generated when absent (pass one to return it before the saga is stored). */
  id?: string;
  /** Business key, unique per saga type (say, the order id): a second start with it returns the first instance. */
  correlationId: string;
  data: TData;
}

export interface StartSagaOptions {
  /**
   * Store the instance in the caller's transaction (the saga row is then the caller's outbox). Its first command is
   * NOT dispatched here, since the transaction may still roll back: dispatch it after commit with
   * `dispatchCurrent()` (or the `kickoff` operator), or let the timeout job do it when the lease ends.
   */
  manager?: EntityManager;
}

const MAX_CONFLICT_RETRIES = 8;

/** How often `waitForEnd` reads the rows of the sagas waited on, for ends stored by another instance. */
const END_POLL_MS = 500;

/**
 * Runs sagas: starts them, applies replies and deadlines as conditional transitions, and produces the commands
 * to dispatch. Every state change is stored before its commands leave, so a crash at any point leaves a row
 * that says what to do next.
 */
@Injectable()
export class SagaOrchestrator implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Saga');
  private errorSubscription?: Subscription;
  private readonly cache = new SagaStateCache();
  private readonly endWaiters: SagaEndWaiters;
  private readonly transitionsSubject = new Subject<StoredTransition>();
  /** Commands sent again from memory while the database could not record their failure, with their count. */
  private readonly unrecorded = new WeakMap<ICommand, number>();
  private readonly redeliveries = new Set<NodeJS.Timeout>();
  private redeliveredFromMemory = 0;
  /** What each command this instance built was for (a failed branch's command is told from its siblings by it). */
  private readonly sentFor = new WeakMap<ICommand, SagaAction>();
  private destroyed = false;
  /** Sagas this instance last stored or claimed under its own lease (some may since have been taken over). */
  private readonly leased = new Set<string>();
  /** Definitions whose replies the app streams itself (`replies(definition)`). */
  private readonly appStreamed = new Set<string>();
  private working = 0;
  readonly store: SagaStore;
  /** Every stored transition, after it is stored (and before its commands are dispatched). */
  readonly transitions$: Observable<StoredTransition> = this.transitionsSubject.asObservable();

  constructor(
    store: SagaStore,
    private readonly registry: SagaRegistry,
    private readonly clock: SagaClock,
    private readonly commandBus: CommandBus,
    private readonly eventBus: EventBus,
    private readonly unhandledExceptions: UnhandledExceptionBus,
    @Inject(RESOLVED_SAGA_OPTIONS) private readonly options: ResolvedSagaModuleOptions,
  ) {
    this.store = store;
    this.endWaiters = new SagaEndWaiters((ids) => store.loadEnded(ids), END_POLL_MS);
  }

  /**
   * `@nestjs/cqrs` catches what a command dispatched from a `@Saga()` stream throws and reports it here: that is
   * how a step's handler error reaches its saga (retry after backoff, or fail at once if not retryable).
   */
  onModuleInit(): void {
    this.errorSubscription = this.unhandledExceptions.subscribe(({ cause, exception }) => {
      if (cause && typeof (cause as { sagaId?: unknown }).sagaId === 'string') void this.onCommandError(cause, exception);
    });
  }

  onModuleDestroy(): void {
    this.destroyed = true;
    this.errorSubscription?.unsubscribe();
    for (const timer of this.redeliveries) clearTimeout(timer);
    this.redeliveries.clear();
    this.endWaiters.stop();
  }

  /**
   * A command of a saga's current action threw. Retryable errors are retried after the backoff; errors listed in
   * the step's `nonRetryableErrors` end the step at once. Errors of commands that are not the current action
   * (late, duplicate) are only logged.
   */
  onCommandError(command: ICommand, error: unknown): Promise<void> {
    return this.tracked(() => this.recordCommandError(command, error));
  }

  private async recordCommandError(command: ICommand, error: unknown): Promise<void> {
    const sagaId = (command as { sagaId: string }).sagaId;
    const message = (error as Error)?.message ?? String(error);
    try {
      const state = this.cache.get(sagaId) ?? (await this.store.load(sagaId));
      const saga = state && this.registry.get(state.type);
      if (!state || !saga) return;
      const index = state.stepIndex;
      const step = saga.definition.steps[index];
      const compensating = state.status === 'COMPENSATING';
      // The log keeps the driver's own words; the saga row keeps a classified reason, which may be served.
      const reason = classifiedReason(error);
      if (step?.parallel) {
        const branch = this.branchOf(command, state, step.parallel);
        if (!branch) return;
        const fault = this.options.isTransientError(error);
        const retryable = !fault && isRetryable({ ...saga.transitions.retryPolicy(index), ...step.parallel[branch.index].retry }, error);
        this.logger.warn(
          `saga ${sagaId}: ${command.constructor.name} ${fault ? 'met an infrastructure fault (waits, attempt unspent)' : 'threw'}: ${message}`,
        );
        const commands = await this.transition(saga, sagaId, (s, now) =>
          saga.transitions.branchAttemptFailed(s, index, branch.index, branch.compensating, reason, retryable, fault, now),
        );
        this.dispatch(commands);
        return;
      }
      const spec = compensating ? step?.compensation : step?.command;
      if (!spec || command.constructor !== spec.type) return;
      if (this.options.isTransientError(error)) {
        this.logger.warn(`saga ${sagaId}: ${command.constructor.name} met an infrastructure fault (waits, attempt unspent): ${message}`);
        const commands = await this.transition(saga, sagaId, (s, now) =>
          saga.transitions.infrastructureFault(s, index, compensating, reason, now),
        );
        this.dispatch(commands);
        return;
      }
      const retryable = isRetryable(saga.transitions.retryPolicy(index), error);
      this.logger.warn(`saga ${sagaId}: ${command.constructor.name} threw (${retryable ? 'will retry' : 'not retryable'}): ${message}`);
      const commands = await this.transition(saga, sagaId, (s, now) =>
        saga.transitions.attemptFailed(s, index, compensating, reason, retryable, now),
      );
      this.dispatch(commands);
    } catch (failure) {
      this.logger.error(`saga ${sagaId}: could not record the failure of ${command.constructor.name}: ${(failure as Error).message}`);
      if (this.options.isTransientError(failure)) this.redeliverLater(command);
    }
  }

  /**
   * The branch of a parallel stage a failed command was sent for: the one this instance sent it for, else the
   * first branch in flight whose command (or compensation) is of its class.
   */
  private branchOf(
    command: ICommand,
    state: SagaState,
    branches: readonly SagaStepDefinition<unknown>[],
  ): { index: number; compensating: boolean } | null {
    const sent = this.sentFor.get(command);
    if (sent?.branch !== undefined) return { index: sent.branch, compensating: sent.kind === 'compensate' };
    const live = state.steps[state.stepIndex]?.branches ?? [];
    for (const [index, def] of branches.entries()) {
      const b = live[index];
      if (b?.status === 'EXECUTING' && def.command?.type === command.constructor) return { index, compensating: false };
      if (b?.status === 'COMPENSATING' && def.compensation?.type === command.constructor) return { index, compensating: true };
    }
    return null;
  }

  /**
   * The database could not even record that a command failed (it is down, or read-only): nothing would happen
   * until the step's deadline, which would then spend the attempt. Send the command again from memory after a
   * capped backoff instead (handlers are idempotent); once the database answers, its reply or its failure is
   * recorded as usual. A crash loses only this shortcut: the lease expiry resumes the step, unspent.
   */
  private redeliverLater(command: ICommand): void {
    const count = (this.unrecorded.get(command) ?? 0) + 1;
    this.unrecorded.set(command, count);
    const timer = setTimeout(
      () => {
        this.redeliveries.delete(timer);
        this.redeliveredFromMemory++;
        this.dispatch([command]);
      },
      infrastructureBackoffMs(count, 30_000),
    );
    timer.unref();
    this.redeliveries.add(timer);
  }

  /** Commands sent again from memory because the database could not record their failure, since start. */
  get redeliveriesFromMemory(): number {
    return this.redeliveredFromMemory;
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /**
   * How many pieces of saga work this instance has begun and not finished: replies and command errors being
   * applied, transitions being decided or stored, kick-offs being read. Zero means nothing here is about to
   * dispatch a command or store a transition (the testing kit waits for it before moving the clock).
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
    const { saga, t, now } = this.newInstance(definition, input);
    const inserted = await this.store.insert(t, this.lease(now), options.manager);
    if (!inserted) {
      const existing = await this.store.findByCorrelation(saga.definition.type, input.correlationId, options.manager);
      if (!existing) throw new Error(`Saga ${t.state.id} could not be stored and has no twin`);
      return existing as SagaState<TData>;
    }
    this.started(saga, t, now, !options.manager);
    return t.state;
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
    const { saga, t, now } = this.newInstance(definition, input);
    const rows = await this.store.insertWith<R>(t, this.lease(now), companion);
    if (rows.length === 0) return { saga: null, rows };
    this.started(saga, t, now, options.dispatch !== false);
    return { saga: t.state, rows };
  }

  /**
   * Resolves with the saga's final state once it is `COMPLETED`, `COMPENSATED` or `FAILED`, or with `null` after
   * `timeoutMs`. An end this process stores is seen at once; since another instance may finish the saga, the
   * rows of every saga waited on are also read together every half second (one read, however many wait).
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
    if (!state || isTerminal(state.status)) return [];
    const saga = this.registry.get(state.type);
    const step = state.steps[state.stepIndex];
    if (!saga || !step || step.awaitingRetry) return [];
    if (step.branches) {
      const actions = step.branches.flatMap((b, branch): SagaAction[] =>
        b.awaitingRetry || (b.status !== 'EXECUTING' && b.status !== 'COMPENSATING')
          ? []
          : [
              {
                kind: b.status === 'EXECUTING' ? 'execute' : 'compensate',
                stepIndex: state.stepIndex,
                branch,
                attempt: b.status === 'EXECUTING' ? b.attempts : b.compensationAttempts,
              },
            ],
      );
      return this.commandsFor(saga, { state, history: [], actions });
    }
    if (step.status === 'EXECUTING')
      return this.commandsFor(saga, {
        state,
        history: [],
        actions: [{ kind: 'execute', stepIndex: state.stepIndex, attempt: step.attempts }],
      });
    if (step.status === 'COMPENSATING')
      return this.commandsFor(saga, {
        state,
        history: [],
        actions: [{ kind: 'compensate', stepIndex: state.stepIndex, attempt: step.compensationAttempts }],
      });
    return [];
  }

  /**
   * Applies a reply event to its saga; returns the commands that follow (none for a duplicate or late reply). An
   * event class may answer several steps of a saga: it goes to the one in progress.
   */
  async onReply(definition: SagaDefinition<unknown>, event: SagaReply): Promise<ICommand[]> {
    const saga = this.registry.require(definition.type);
    const candidates = saga.replies.get(event.constructor as ReplyType);
    if (!candidates?.length) return [];
    return this.transition(saga, event.sagaId, (state, now) => {
      const undoing = state.status === 'COMPENSATING';
      const named = (event as { step?: unknown }).step;
      const reply =
        candidates.find((r) => saga.definition.steps[r.stepIndex]?.name === named && (r.kind === 'compensated') === undoing) ??
        candidates.find((r) => r.stepIndex === state.stepIndex && (r.kind === 'compensated') === undoing) ??
        candidates.find((r) => r.stepIndex === state.stepIndex) ??
        candidates[0];
      if (reply.branch !== undefined) return this.onBranchReply(saga, state, reply as Required<typeof reply>, event, now);
      switch (reply.kind) {
        case 'completed': {
          const fold = saga.definition.steps[reply.stepIndex].onCompleted;
          return saga.transitions.completeStep(state, reply.stepIndex, now, fold ? (d) => fold(d, event) : undefined);
        }
        case 'failed':
          return saga.transitions.failStep(state, reply.stepIndex, (event as SagaFailureReply).reason ?? event.constructor.name, now);
        case 'compensated':
          return saga.transitions.completeCompensation(state, reply.stepIndex, now);
      }
    });
  }

  private onBranchReply<TData>(
    saga: RegisteredSaga<TData>,
    state: SagaState<TData>,
    reply: { stepIndex: number; branch: number; kind: 'completed' | 'failed' | 'compensated' },
    event: SagaReply,
    now: Date,
  ): Transition<TData> | null {
    const { stepIndex, branch } = reply;
    if (reply.kind === 'compensated') return saga.transitions.completeBranchCompensation(state, stepIndex, branch, now);
    if (reply.kind === 'failed')
      return saga.transitions.failBranch(state, stepIndex, branch, (event as SagaFailureReply).reason ?? event.constructor.name, now);
    const fold = saga.definition.steps[stepIndex].parallel?.[branch].onCompleted;
    return saga.transitions.completeBranch(state, stepIndex, branch, now, fold ? (d) => fold(d, event) : undefined);
  }

  /**
   * Sends the signal `name` to a saga, by id or by (type, correlation id). Says what became of it (see
   * `SignalOutcome`): a late, duplicate or unknown signal changes nothing but the saga's history, and an HTTP
   * caller can answer 409 for it.
   */
  signal(target: SignalTarget, name: string, payload?: unknown): Promise<SignalResult> {
    return this.tracked(async () => {
      const found =
        typeof target === 'string' ? await this.store.load(target) : await this.store.findByCorrelation(target.type, target.correlationId);
      const saga = found && this.registry.get(found.type);
      if (!found || !saga) return { outcome: 'not-found', reason: 'no such saga' };
      let result: SignalResult = { outcome: 'unknown', reason: '' };
      const commands = await this.transition(saga, found.id, (state, now) => {
        const decided = saga.transitions.signal(state, name, payload, now);
        result = { outcome: decided.outcome, reason: decided.reason, sagaId: found.id };
        return decided.transition;
      });
      this.dispatch(commands);
      return result;
    });
  }

  /**
   * Fails the current step as if a failure reply had arrived (for adapters that learn of a failure other than
   * by an event, and for the testing kit). A no-op unless `stepName` is executing.
   */
  reportStepFailure(sagaId: string, stepName: string, reason: string): Promise<ICommand[]> {
    return this.tracked(() => this.failStepByName(sagaId, stepName, reason));
  }

  private async failStepByName(sagaId: string, stepName: string, reason: string): Promise<ICommand[]> {
    const state = this.cache.get(sagaId) ?? (await this.store.load(sagaId));
    if (!state) return [];
    const saga = this.registry.require(state.type);
    const index = saga.definition.steps.findIndex((s) => s.name === stepName);
    const commands = await this.transition(saga, sagaId, (s, now) => saga.transitions.failStep(s, index, reason, now));
    this.dispatch(commands);
    return commands;
  }

  /**
   * Operator for a `@Saga()` stream: maps the replies of `definition`'s steps to the commands that follow.
   * Each event is handled in isolation: an error is logged and ends only that event's handling, never the stream
   * (in `@nestjs/cqrs` an error reaching the stream would unsubscribe the saga for good). The saga itself stays
   * resumable: its deadline passes and the timeout job takes over.
   */
  replies(definition: SagaDefinition<unknown>): OperatorFunction<IEvent, ICommand> {
    // The app streams this definition's replies itself: the library's own stream leaves them to it.
    this.appStreamed.add(definition.type);
    const types = new Set<unknown>(this.registry.require(definition.type).replies.keys());
    return (events$: Observable<IEvent>) =>
      events$.pipe(
        filter((e): e is SagaReply => types.has(e.constructor) && typeof (e as Partial<SagaReply>).sagaId === 'string'),
        mergeMap((event) =>
          this.isolated(
            () => event.sagaId,
            () => this.onReply(definition, event),
          ),
        ),
      );
  }

  /**
   * The library's own reply stream (see `SagaReplyStream`): the replies of every registered definition whose app
   * does not stream them itself with `replies(definition)`.
   */
  allReplies(): OperatorFunction<IEvent, ICommand> {
    return (events$: Observable<IEvent>) =>
      events$.pipe(
        filter((e): e is SagaReply => typeof (e as Partial<SagaReply>).sagaId === 'string'),
        mergeMap((event) =>
          from(
            this.registry
              .all()
              .filter((saga) => !this.appStreamed.has(saga.definition.type) && saga.replies.has(event.constructor as ReplyType)),
          ).pipe(
            mergeMap((saga) =>
              this.isolated(
                () => event.sagaId,
                () => this.onReply(saga.definition, event),
              ),
            ),
          ),
        ),
      );
  }

  /** Operator for a `@Saga()` stream: once a saga started in a transaction has committed, dispatch its first step. */
  kickoff<E extends IEvent>(sagaIdOf: (event: E) => string): OperatorFunction<E, ICommand> {
    return mergeMap((event: E) =>
      this.isolated(
        () => sagaIdOf(event),
        () => this.dispatchCurrent(sagaIdOf(event)),
      ),
    );
  }

  /**
   * One pass over sagas that need attention: deadline passed (retry, or fail and compensate) or lease expired
   * (resume; also when the deadline passed after the lease did). Returns how many were claimed.
   */
  /**
   * Claims due sagas and handles them. `outageSince` is set by the timeout job when it could not reach the
   * database since then: deadlines that passed in that window are no evidence against their steps.
   */
  async handleDue(outageSince?: Date): Promise<number> {
    const now = this.clock.now();
    const claimed = await this.store.claimDue(now, this.options.jobBatchSize, this.lease(now));
    await Promise.all(
      claimed.map(async (state) => {
        this.remember(state);
        const saga = this.registry.get(state.type);
        if (!saga) {
          this.logger.warn(`saga ${state.id} has unknown type "${state.type}"; left for an instance that knows it`);
          return;
        }
        try {
          const commands = await this.transition(saga, state.id, (s, at) => {
            if (!s.dueAt || s.dueAt.getTime() > at.getTime()) return saga.transitions.resume(s, this.instanceId, at);
            // A deadline missed while no instance held the lease says nothing about the step: resume it unspent.
            return (
              (state.leaseLapsed ? saga.transitions.resume(s, this.instanceId, at, true) : null) ??
              (outageSince ? saga.transitions.deadlinePassedInOutage(s, outageSince, at) : null) ??
              saga.transitions.deadlinePassed(s, at)
            );
          });
          this.dispatch(commands);
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

  /** Dispatches commands outside any stream (timeout job, non-transactional start); errors are logged. */
  dispatch(commands: ICommand[]): void {
    for (const command of commands) {
      this.commandBus.execute(command).catch((error: unknown) => {
        if (typeof (command as { sagaId?: unknown }).sagaId === 'string') void this.onCommandError(command, error);
        else this.logger.error(`${command.constructor.name} failed: ${(error as Error).message}`);
      });
    }
  }

  // --- internals -------------------------------------------------------------------------------------------

  /** The first transition of a new instance of `definition`, not yet stored. */
  private newInstance<TData>(definition: SagaDefinition<TData> | string, input: StartSagaInput<TData>) {
    const saga = this.registry.require<TData>(typeof definition === 'string' ? definition : definition.type);
    const now = this.clock.now();
    const t = saga.transitions.start(
      { id: input.id ?? randomUUID(), correlationId: input.correlationId, data: input.data, definitionHash: saga.hash },
      now,
    );
    return { saga, t, now };
  }

  /** Once a new instance is stored: cache it, report it, and dispatch its first command when that is safe. */
  private started<TData>(saga: RegisteredSaga<TData>, t: Transition<TData>, now: Date, dispatch: boolean): void {
    this.remember(t.state);
    this.transitionsSubject.next({ before: null, after: t.state, history: t.history, at: now });
    if (dispatch) this.dispatch(this.commandsFor(saga, t));
  }

  private isolated(sagaIdOf: () => string, work: () => Promise<ICommand[]>): Observable<ICommand> {
    // A reply (or kick-off) that meets an infrastructure fault is held and applied again, not dropped: dropped,
    // its step would sit until its deadline and spend an attempt on a fault that says nothing about it.
    const persistent = () =>
      waitOutInfrastructure(work, {
        isTransient: (error) => this.options.isTransientError(error),
        stopped: () => this.destroyed,
        onWait: (error, waitMs) =>
          this.logger.warn(`saga ${sagaIdOf()}: reply waits on infrastructure, applied again in ${waitMs} ms: ${(error as Error).message}`),
      });
    return defer(persistent).pipe(
      mergeMap((commands) => from(commands)),
      catchError((error: unknown) => {
        let sagaId = '(unknown)';
        try {
          sagaId = sagaIdOf();
        } catch {
          // the event itself is malformed; the log line says so through the error
        }
        this.logger.error(`saga ${sagaId}: event handling failed: ${(error as Error).message}`, (error as Error).stack);
        return EMPTY;
      }),
    );
  }

  /**
   * Computes a transition from the freshest state this instance has and stores it conditionally. On a version
   * conflict, or when a cached state says the input does not apply, reload and decide again.
   */
  private transition<TData>(
    saga: RegisteredSaga<TData>,
    sagaId: string,
    decide: (state: SagaState<TData>, now: Date) => Transition<TData> | null,
  ): Promise<ICommand[]> {
    return this.tracked(() => this.decideAndStore(saga, sagaId, decide));
  }

  private async decideAndStore<TData>(
    saga: RegisteredSaga<TData>,
    sagaId: string,
    decide: (state: SagaState<TData>, now: Date) => Transition<TData> | null,
  ): Promise<ICommand[]> {
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
      const aligned = this.alignToDefinition(saga, state);
      if (!aligned) return [];
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
        this.transitionsSubject.next({ before: before, after: t.state, history: t.history, at: now });
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

  /**
   * An instance started under another version of its definition: held (no transition) under `hold`, or when its
   * current step no longer exists; otherwise its steps are matched to the current definition by name.
   */
  private alignToDefinition<TData>(saga: RegisteredSaga<TData>, state: SagaState<TData>): SagaState<TData> | null {
    if (state.definitionHash === saga.hash) return state;
    const current = state.steps[state.stepIndex]?.name;
    const stepIndex = saga.definition.steps.findIndex((s) => s.name === current);
    if (this.options.onDefinitionChange === 'hold' || stepIndex < 0) {
      this.logger.warn(`saga ${state.id} started under another version of "${state.type}"; held for an operator`);
      return null;
    }
    const byName = new Map(state.steps.map((s) => [s.name, s]));
    const steps = saga.definition.steps.map((d) => byName.get(d.name) ?? initialStepState(d as SagaStepDefinition<unknown>));
    return { ...state, steps, stepIndex, definitionHash: saga.hash };
  }

  /**
   * Operator retry: a `FAILED` saga resumes the compensation that exhausted its attempts (with a fresh budget);
   * a saga held after a definition change is adopted by the current definition.
   */
  async retry(sagaId: string, actor: string, reason?: string): Promise<OperatorActionResult> {
    return this.operatorAction(sagaId, async (saga, state) => {
      if (state.definitionHash !== saga.hash && !isTerminal(state.status)) {
        if (await this.adoptCurrentDefinition(sagaId)) return [];
      }
      return this.transition(saga, sagaId, (s, now) =>
        saga.transitions.retryCompensation(s, `retry by ${actor}${reason ? `: ${reason}` : ''}`, now),
      );
    });
  }

  /** Operator abort: stop forward progress now and compensate what was done, in reverse. */
  async abort(sagaId: string, actor: string, reason?: string): Promise<OperatorActionResult> {
    return this.operatorAction(sagaId, (saga) =>
      this.transition(saga, sagaId, (s, now) => saga.transitions.abort(s, `aborted by ${actor}${reason ? `: ${reason}` : ''}`, now)),
    );
  }

  /** Undoes a COMPLETED saga as a whole (its parent is compensated): every step that can be, in reverse. */
  async undoCompleted(sagaId: string, reason: string): Promise<OperatorActionResult> {
    return this.operatorAction(sagaId, (saga) => this.transition(saga, sagaId, (s, now) => saga.transitions.undoCompleted(s, reason, now)));
  }

  /** What `abort` would compensate now, in order, without changing anything. */
  async planAbort(sagaId: string): Promise<AbortPlan | null> {
    const state = await this.store.load(sagaId);
    if (!state) return null;
    const saga = this.registry.require(state.type);
    return {
      sagaId,
      status: state.status,
      compensations: saga.transitions.compensationPlan(state).map((i) => ({
        step: saga.definition.steps[i].name,
        command: saga.definition.steps[i].compensation?.type.name ?? '',
      })),
    };
  }

  /** Operator skip: a compensation that cannot succeed is marked done by hand, with a mandatory reason. */
  async skipCompensation(sagaId: string, stepName: string, actor: string, reason: string): Promise<OperatorActionResult> {
    return this.operatorAction(sagaId, (saga) => {
      const index = saga.definition.steps.findIndex((s) => s.name === stepName);
      return this.transition(saga, sagaId, (s, now) =>
        index < 0 ? null : saga.transitions.skipCompensation(s, index, `skipped by ${actor}: ${reason}`, now),
      );
    });
  }

  private async operatorAction(
    sagaId: string,
    act: (saga: RegisteredSaga, state: SagaState) => Promise<ICommand[]>,
  ): Promise<OperatorActionResult> {
    this.cache.delete(sagaId);
    const state = await this.store.load(sagaId);
    if (!state) return { ok: false, reason: 'not-found', message: `saga ${sagaId} not found` };
    const saga = this.registry.require(state.type);
    const version = state.version;
    const commands = await act(saga, state);
    this.dispatch(commands);
    const after = (await this.store.load(sagaId)) as SagaState;
    if (after.version === version) {
      return {
        ok: false,
        reason: 'not-applicable',
        message: `saga ${sagaId} is ${state.status} (step ${state.steps[state.stepIndex]?.name} ${state.steps[state.stepIndex]?.status}); the action does not apply`,
      };
    }
    return { ok: true, saga: after };
  }

  /**
   * Lets an instance held after a definition change go on under the current definition: it is stamped with the
   * current hash and handed to the timeout job at once.
   */
  async adoptCurrentDefinition(sagaId: string): Promise<boolean> {
    const state = await this.store.load(sagaId);
    if (!state || isTerminal(state.status)) return false;
    const saga = this.registry.require(state.type);
    if (!saga.definition.steps.some((s) => s.name === state.steps[state.stepIndex]?.name)) return false;
    this.cache.delete(sagaId);
    return this.store.restamp(sagaId, saga.hash, this.clock.now());
  }

  /** Logs in-flight instances whose definition changed and, under `hold`, takes them out of the job's sight. */
  async reportDefinitionChanges(): Promise<{ type: string; definitionHash: string; count: number }[]> {
    const stale = (await this.store.activeByDefinition()).filter((r) => {
      const saga = this.registry.get(r.type);
      return saga && saga.hash !== r.definitionHash;
    });
    for (const r of stale) {
      const saga = this.registry.require(r.type);
      const mode = this.options.onDefinitionChange;
      this.logger.warn(
        `${r.count} "${r.type}" saga(s) in flight started under definition ${r.definitionHash}, now ${saga.hash}: ${mode === 'hold' ? 'held for an operator' : 'continuing, steps matched by name'}`,
      );
      if (mode === 'hold') await this.store.hold(r.type, r.definitionHash);
    }
    return stale;
  }

  private commandsFor<TData>(saga: RegisteredSaga<TData>, t: Transition<TData>): ICommand[] {
    const s = t.state;
    return t.actions.map((action) => {
      const stage = saga.definition.steps[action.stepIndex];
      const step = action.branch !== undefined && stage.parallel ? stage.parallel[action.branch] : stage;
      const spec = action.kind === 'execute' ? step.command : action.kind === 'remind' ? step.wait?.remind?.command : step.compensation;
      if (!spec)
        throw new Error(
          `saga ${s.type}: step ${step.name} has no ${action.kind === 'compensate' ? 'compensation' : action.kind === 'remind' ? 'reminder' : 'command'}`,
        );
      const command = spec.create({
        sagaId: s.id,
        correlationId: s.correlationId,
        data: s.data,
        attempt: action.attempt,
        failureReason: s.failureReason ?? undefined,
      });
      this.sentFor.set(command, action);
      return command;
    });
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
